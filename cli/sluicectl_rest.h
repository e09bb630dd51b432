/* sluicectl_rest — sluicectl as a client of the controller's REST API
 * (docs/api.md): `tenants`, `tokens`, `pipelines`, `workers`, `tasks`.
 *
 * sluicectl_rest.c parses the global options and the command line and finds
 * the command in its table; sluicectl_rest_call.c holds what the commands
 * share: requests, error reports, following a list's pages, printing JSON and
 * tables. The commands themselves are in sluicectl_rest_cmds.c (tenants,
 * tokens, workers, tasks) and sluicectl_rest_pipelines.c. Exit statuses: 0 ok, 1 the controller
 * answered with an error (or a file could not be used), 2 usage error, 3 the
 * controller could not be reached. Private to cli/. */
#ifndef SLUICECTL_REST_H
#define SLUICECTL_REST_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <yyjson.h>

#include "sluicectl_http.h"
#include "sluicectl_table.h"
#include "util/sl_buf.h"

enum {
    SLUICECTL_EXIT_OK = 0,
    SLUICECTL_EXIT_ERROR = 1,
    SLUICECTL_EXIT_USAGE = 2,
    SLUICECTL_EXIT_UNREACHABLE = 3
};

#define SLUICECTL_DEFAULT_SERVER "http://127.0.0.1:8080"

/* True if word names a REST command group ("tenants", "pipeline", ...). */
int sluicectl_rest_is_command(const char *word);

/* True if arg is one of the global options (--server, --token, -o, ...),
 * which may also come before the command. */
int sluicectl_rest_is_global_option(const char *arg);

/* Runs a REST command from the whole command line (argv[0] is the program);
 * returns the exit status. */
int sluicectl_rest_main(int argc, char **argv);

/* Prints the REST commands and global options (part of `sluicectl help`). */
void sluicectl_rest_usage(FILE *out);

/* ---- shared by the command files --------------------------------------- */

/* The number of entries of a column array (a table's columns). */
#define SLUICECTL_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

#define SLUICECTL_MAX_POS 4
#define SLUICECTL_MAX_OPTS 8

/* A command's own arguments: positionals after group and verb, options. */
typedef struct sluicectl_args {
    const char *pos[SLUICECTL_MAX_POS];
    int npos;
    struct {
        const char *name;  /* canonical: "-f" for --file too */
        const char *value; /* NULL for a flag */
    } opts[SLUICECTL_MAX_OPTS];
    int nopts;
} sluicectl_args;

/* What every command runs with. */
typedef struct sluicectl_ctx {
    sluicectl_http *http;
    int json;       /* -o json */
    int have_token; /* for the 401 hint */
    long page_size; /* --page-size; 0: the server's default */
    time_t now;     /* for the AGE columns */
} sluicectl_ctx;

/* The value of option name ("" for a flag that is present), or NULL. */
const char *sluicectl_arg(const sluicectl_args *a, const char *name);

/* Prints "sluicectl: <message>" on stderr (a usage error) and returns
 * SLUICECTL_EXIT_USAGE. */
int sluicectl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends fmt to b with every "%s" argument percent-encoded (path segments,
 * query values); no other conversions. Returns 0, or SL_ERR_NOMEM. */
int sluicectl_pathf(sl_buf *b, const char *fmt, ...);

/* Sends a request; *status gets the HTTP status and *doc (may be NULL to
 * ignore the body) the parsed JSON body of a 2xx answer with one (else
 * NULL; free with yyjson_doc_free). An answer >= 400 whose status is not
 * `allow` (0: none) is reported on stderr (sluicectl_report). Returns
 * SLUICECTL_EXIT_OK when the caller should go on (2xx, or the allowed
 * status), otherwise the exit status (error already printed). */
int sluicectl_call(sluicectl_ctx *c, const char *method, const char *path, const char *body,
                   size_t body_len, long allow, long *status, yyjson_doc **doc);

/* Sends a body-less request to the path built from fmt (sluicectl_pathf)
 * and one or two segments (seg2 may be NULL when fmt has one %s); prints
 * done and a newline on stdout (table mode) after a success. Returns an
 * exit status. */
int sluicectl_simple_call(sluicectl_ctx *c, const char *method, const char *fmt, const char *seg1,
                          const char *seg2, const char *done);

/* Prints an error answer: "sluicectl: <status> <code>: <message>" and one
 * "  <where> at position <N>: <message>" line per details[] entry. */
void sluicectl_report(const sluicectl_ctx *c, long status, const char *body, size_t len);

/* Prints doc (or mdoc when doc is NULL) as pretty JSON and a newline on
 * stdout. Returns an exit status. */
int sluicectl_print_json(yyjson_doc *doc, yyjson_mut_doc *mdoc);

/* Prints t on stdout, or "No <what> found." on stderr when it has no rows.
 * Returns an exit status. */
int sluicectl_print_table(const sluicectl_table *t, const char *what);

/* GETs every page of the list at path (no query string), following
 * next_page_token to the end, and prints all items: as one JSON document
 * {"items": [...], "next_page_token": null} with -o json, else as a table
 * of cols. what: "tenants", for "No tenants found.". Returns an exit status. */
int sluicectl_list(sluicectl_ctx *c, const char *path, const sluicectl_column *cols, size_t ncols,
                   const char *what);

/* Reads the whole file path ("-": stdin) into b. On failure prints
 * "sluicectl: cannot read PATH: reason" and returns SLUICECTL_EXIT_ERROR. */
int sluicectl_read_file(const char *path, sl_buf *b);

/* The commands (sluicectl_rest_cmds.c, sluicectl_rest_pipelines.c). */
int sluicectl_cmd_tenants_create(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tenants_list(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tenants_get(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tenants_delete(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tokens_create(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tokens_list(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tokens_revoke(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_workers_list(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_tasks_list(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_apply(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_list(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_get(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_delete(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_pause(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_resume(sluicectl_ctx *c, const sluicectl_args *a);
int sluicectl_cmd_pipelines_validate(sluicectl_ctx *c, const sluicectl_args *a);

#endif

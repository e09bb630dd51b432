/* sluicectl_rest — the REST client's command line: global options, the
 * command table, dispatch (see sluicectl_rest.h).
 *
 * The command line is `sluicectl [global options] GROUP VERB [args]`, global
 * options allowed anywhere (kubectl-style), the command's own options after
 * its verb. Everything is checked before the first request: a usage error
 * (exit 2) never talks to the server. The token comes from --token,
 * --token-file or $SLUICE_TOKEN, in that order; it only ever goes into the
 * Authorization header (sluicectl_http), never into a message. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluicectl_rest.h"
#include "util/sl_error.h"

/* ---- the command table -------------------------------------------------- */

typedef int (*cmd_fn)(sluicectl_ctx *c, const sluicectl_args *a);

typedef struct rest_cmd {
    const char *group, *verb;
    const char *synopsis; /* after "sluicectl GROUP VERB " */
    const char *help;
    int min_pos, max_pos;
    struct {
        const char *name; /* "--max-tasks"; "-f" also answers to "--file" */
        int takes_value;
    } opts[3];
    cmd_fn run;
} rest_cmd;

/* clang-format off */
static const rest_cmd commands[] = {
    {"tenants", "create", "NAME [--max-pipelines N] [--max-tasks N]",
     "create a tenant (admin token)",
     1, 1, {{"--max-pipelines", 1}, {"--max-tasks", 1}}, sluicectl_cmd_tenants_create},
    {"tenants", "list", "", "list the tenants (admin token)",
     0, 0, {{NULL, 0}}, sluicectl_cmd_tenants_list},
    {"tenants", "get", "NAME", "show a tenant (admin token)",
     1, 1, {{NULL, 0}}, sluicectl_cmd_tenants_get},
    {"tenants", "delete", "NAME", "delete a tenant without pipelines; revokes its tokens",
     1, 1, {{NULL, 0}}, sluicectl_cmd_tenants_delete},
    {"tokens", "create", "TENANT [--description D]",
     "create a tenant token and print it (it is shown only once)",
     1, 1, {{"--description", 1}}, sluicectl_cmd_tokens_create},
    {"tokens", "list", "TENANT", "list a tenant's tokens (never their secrets)",
     1, 1, {{NULL, 0}}, sluicectl_cmd_tokens_list},
    {"tokens", "revoke", "TENANT ID", "revoke a tenant token",
     2, 2, {{NULL, 0}}, sluicectl_cmd_tokens_revoke},
    {"pipelines", "apply", "-f FILE [--name NAME]",
     "create or update the pipeline in FILE (\"-\": stdin)",
     0, 0, {{"-f", 1}, {"--name", 1}}, sluicectl_cmd_pipelines_apply},
    {"pipelines", "list", "", "list the tenant's pipelines",
     0, 0, {{NULL, 0}}, sluicectl_cmd_pipelines_list},
    {"pipelines", "get", "NAME", "show a pipeline: summary, topics and tasks",
     1, 1, {{NULL, 0}}, sluicectl_cmd_pipelines_get},
    {"pipelines", "delete", "NAME [--purge]",
     "delete a pipeline (--purge: its changelog and state too)",
     1, 1, {{"--purge", 0}}, sluicectl_cmd_pipelines_delete},
    {"pipelines", "pause", "NAME", "pause a pipeline (tasks stop after a checkpoint)",
     1, 1, {{NULL, 0}}, sluicectl_cmd_pipelines_pause},
    {"pipelines", "resume", "NAME", "resume a paused pipeline",
     1, 1, {{NULL, 0}}, sluicectl_cmd_pipelines_resume},
    {"pipelines", "validate", "-f FILE", "check a spec on the controller without storing it",
     0, 0, {{"-f", 1}}, sluicectl_cmd_pipelines_validate},
    {"workers", "list", "", "list the workers",
     0, 0, {{NULL, 0}}, sluicectl_cmd_workers_list},
    {"tasks", "list", "", "list the tasks (a tenant token sees its own)",
     0, 0, {{NULL, 0}}, sluicectl_cmd_tasks_list},
};
/* clang-format on */
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *const global_opts[] = {"--server", "--token",  "--token-file",
                                          "-o",       "--output", "--page-size"};
#define NGLOBAL (sizeof(global_opts) / sizeof(global_opts[0]))

void sluicectl_rest_usage(FILE *out)
{
    const char *group = "";
    fprintf(out, "controller commands (the REST API, docs/api.md):\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const rest_cmd *k = &commands[i];
        char line[128];
        int n = snprintf(line, sizeof(line), "  %s %s%s%s", k->group, k->verb,
                         *k->synopsis ? " " : "", k->synopsis);
        if (strcmp(group, k->group) != 0 && i > 0)
            fputc('\n', out);
        group = k->group;
        /* the help beside a short command, under a long one */
        if (n < 32)
            fprintf(out, "%-34s%s\n", line, k->help);
        else
            fprintf(out, "%s\n%34s%s\n", line, "", k->help);
    }
    fprintf(out,
            "\nglobal options (anywhere on the line):\n"
            "  --server URL     the controller (default $SLUICE_SERVER, else %s)\n"
            "  --token T        bearer token (default $SLUICE_TOKEN)\n"
            "  --token-file F   read the bearer token from file F\n"
            "  -o table|json    output: tables for people (default), or the controller's JSON\n"
            "  --page-size N    items per request when listing (1-1000; default: the server's)\n"
            "exit status: 0 ok, 1 the controller answered with an error, 2 usage error,\n"
            "             3 the controller cannot be reached\n",
            SLUICECTL_DEFAULT_SERVER);
}

/* The canonical group name for word ("tenant" → "tenants"), or NULL. */
static const char *group_name(const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const char *g = commands[i].group;
        if (strcmp(word, g) == 0 || (n + 1 == strlen(g) && strncmp(word, g, n) == 0))
            return g;
    }
    return NULL;
}

int sluicectl_rest_is_command(const char *word)
{
    return group_name(word) != NULL;
}

/* Length of an option's name: up to '=' for "--name=value". */
static size_t opt_name_len(const char *arg)
{
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    return eq ? (size_t)(eq - arg) : strlen(arg);
}

int sluicectl_rest_is_global_option(const char *arg)
{
    size_t n = opt_name_len(arg);
    for (size_t i = 0; i < NGLOBAL; i++)
        if (strlen(global_opts[i]) == n && strncmp(arg, global_opts[i], n) == 0)
            return 1;
    return 0;
}

int sluicectl_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sluicectl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nRun 'sluicectl help' for usage.\n", stderr);
    return SLUICECTL_EXIT_USAGE;
}

const char *sluicectl_arg(const sluicectl_args *a, const char *name)
{
    for (int i = a->nopts - 1; i >= 0; i--) /* the last one given wins */
        if (strcmp(a->opts[i].name, name) == 0)
            return a->opts[i].value ? a->opts[i].value : "";
    return NULL;
}

/* ---- parsing the command line ------------------------------------------- */

typedef struct globals {
    const char *server, *token, *token_file, *output, *page_size;
    int help;
} globals;

static void set_global(globals *g, const char *name, const char *value)
{
    if (strcmp(name, "--server") == 0)
        g->server = value;
    else if (strcmp(name, "--token") == 0)
        g->token = value;
    else if (strcmp(name, "--token-file") == 0)
        g->token_file = value;
    else if (strcmp(name, "--page-size") == 0)
        g->page_size = value;
    else
        g->output = value;
}

/* Finds the command for words[0..nwords) once both are known. */
static int find_command(const char *const *words, int nwords, const rest_cmd **cmd)
{
    const char *g = group_name(words[0]);
    const rest_cmd *only = NULL;
    size_t nverbs = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].group, g) != 0)
            continue;
        nverbs++;
        only = &commands[i];
        if (nwords == 2 && strcmp(commands[i].verb, words[1]) == 0) {
            *cmd = &commands[i];
            return 0;
        }
    }
    if (nwords == 1 && nverbs == 1) { /* `sluicectl workers` lists them */
        *cmd = only;
        return 0;
    }
    fprintf(stderr, "sluicectl: ");
    if (nwords == 2)
        fprintf(stderr, "unknown command '%s %s'; ", g, words[1]);
    fprintf(stderr, "'sluicectl %s' takes one of:", g);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].group, g) == 0)
            fprintf(stderr, " %s", commands[i].verb);
    fputs("\nRun 'sluicectl help' for usage.\n", stderr);
    return SLUICECTL_EXIT_USAGE;
}

/* Stores the command option arg (argv[*i]) in a. */
static int command_option(const rest_cmd *cmd, int argc, char **argv, int *i, sluicectl_args *a)
{
    const char *arg = argv[*i];
    size_t n = opt_name_len(arg);
    const char *inline_value = arg[n] == '=' ? arg + n + 1 : NULL;
    const char *name = NULL;
    int takes_value = 0;
    if (n == 6 && strncmp(arg, "--file", 6) == 0)
        arg = "-f", n = 2;
    for (int k = 0; k < 3 && cmd->opts[k].name; k++) {
        if (strlen(cmd->opts[k].name) == n && strncmp(cmd->opts[k].name, arg, n) == 0) {
            name = cmd->opts[k].name;
            takes_value = cmd->opts[k].takes_value;
            break;
        }
    }
    if (!name)
        return sluicectl_usage_error("unknown option '%.*s' for 'sluicectl %s %s'", (int)n, arg,
                                     cmd->group, cmd->verb);
    if (a->nopts == SLUICECTL_MAX_OPTS)
        return sluicectl_usage_error("too many options");
    a->opts[a->nopts].name = name;
    a->opts[a->nopts].value = NULL;
    if (takes_value) {
        const char *value = inline_value;
        if (!value && *i + 1 < argc)
            value = argv[++*i];
        if (!value)
            return sluicectl_usage_error("option '%s' needs a value", name);
        a->opts[a->nopts].value = value;
    } else if (inline_value) {
        return sluicectl_usage_error("option '%s' takes no value", name);
    }
    a->nopts++;
    return 0;
}

static int parse_command_line(int argc, char **argv, globals *g, const rest_cmd **cmd,
                              sluicectl_args *a)
{
    const char *words[2];
    int nwords = 0, options_end = 0, rc;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_end && arg[0] == '-' && arg[1] != '\0') {
            if (strcmp(arg, "--") == 0) {
                options_end = 1;
            } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                g->help = 1;
            } else if (sluicectl_rest_is_global_option(arg)) {
                size_t n = opt_name_len(arg);
                const char *value = arg[n] == '=' ? arg + n + 1 : NULL;
                char name[16];
                if (!value && i + 1 < argc)
                    value = argv[++i];
                if (!value)
                    return sluicectl_usage_error("option '%s' needs a value", arg);
                snprintf(name, sizeof(name), "%.*s", (int)n, arg);
                set_global(g, name, value);
            } else if (!*cmd) {
                return sluicectl_usage_error("unknown option '%s'", arg);
            } else if ((rc = command_option(*cmd, argc, argv, &i, a)) != 0) {
                return rc;
            }
            continue;
        }
        if (!*cmd && nwords < 2) {
            words[nwords++] = arg;
            if (nwords == 1 && !group_name(arg))
                return sluicectl_usage_error("unknown command '%s'", arg);
            if (nwords == 2 && (rc = find_command(words, nwords, cmd)) != 0)
                return rc;
            continue;
        }
        if (a->npos == SLUICECTL_MAX_POS)
            return sluicectl_usage_error("too many arguments");
        a->pos[a->npos++] = arg;
    }
    if (g->help)
        return 0;
    if (nwords == 0)
        return sluicectl_usage_error("no command given");
    if (!*cmd && (rc = find_command(words, nwords, cmd)) != 0)
        return rc;
    if (a->npos < (*cmd)->min_pos || a->npos > (*cmd)->max_pos)
        return sluicectl_usage_error("usage: sluicectl %s %s %s", (*cmd)->group, (*cmd)->verb,
                                     (*cmd)->synopsis);
    return 0;
}

/* ---- the token ---------------------------------------------------------- */

/* Sets *out to a new copy of the token (NULL: none given). */
static int load_token(const globals *g, char **out)
{
    const char *from = "--token";
    sl_buf b = SL_BUF_INIT;
    *out = NULL;
    if (g->token && g->token_file)
        return sluicectl_usage_error("give --token or --token-file, not both");
    if (g->token_file) {
        FILE *f = fopen(g->token_file, "rb");
        char chunk[512];
        size_t n;
        if (!f)
            return sluicectl_usage_error("cannot read token file %s: %s", g->token_file,
                                         strerror(errno));
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < 65536)
            if (sl_buf_append(&b, chunk, n) != SL_OK)
                break;
        fclose(f);
        memset(chunk, 0, sizeof(chunk));
        while (b.len > 0 && strchr(" \t\r\n", b.data[b.len - 1]))
            b.data[--b.len] = '\0';
        from = "the token file";
    } else if (g->token) {
        sl_buf_append_str(&b, g->token);
    } else if (getenv("SLUICE_TOKEN") && *getenv("SLUICE_TOKEN")) {
        sl_buf_append_str(&b, getenv("SLUICE_TOKEN"));
        from = "$SLUICE_TOKEN";
    } else {
        return 0;
    }
    if (b.len == 0 || b.len != strlen(b.data)) {
        sl_buf_free(&b);
        return sluicectl_usage_error("the token from %s is empty", from);
    }
    for (size_t i = 0; i < b.len; i++) {
        unsigned char ch = (unsigned char)b.data[i];
        if (ch <= 0x20 || ch == 0x7f) { /* it goes into a header line */
            memset(b.data, 0, b.len);
            sl_buf_free(&b);
            return sluicectl_usage_error("the token from %s contains white space or control "
                                         "characters",
                                         from);
        }
    }
    *out = b.data;
    return 0;
}

int sluicectl_rest_main(int argc, char **argv)
{
    globals g = {0};
    const rest_cmd *cmd = NULL;
    sluicectl_args a;
    sluicectl_ctx c;
    const char *server;
    char *token = NULL;
    sl_error err;
    int rc;

    memset(&a, 0, sizeof(a));
    memset(&c, 0, sizeof(c));
    if ((rc = parse_command_line(argc, argv, &g, &cmd, &a)) != 0)
        return rc;
    if (g.help) {
        sluicectl_rest_usage(stdout);
        return SLUICECTL_EXIT_OK;
    }
    server = g.server ? g.server : getenv("SLUICE_SERVER");
    if (!server || !*server)
        server = SLUICECTL_DEFAULT_SERVER;
    if (strncasecmp(server, "http://", 7) != 0 && strncasecmp(server, "https://", 8) != 0)
        return sluicectl_usage_error("the server must be an http:// or https:// URL, got '%s'",
                                     server);
    if (g.output && strcmp(g.output, "json") != 0 && strcmp(g.output, "table") != 0)
        return sluicectl_usage_error("-o takes table or json, got '%s'", g.output);
    c.json = g.output && strcmp(g.output, "json") == 0;
    if (g.page_size) {
        char *end;
        c.page_size = strtol(g.page_size, &end, 10);
        if (*end || end == g.page_size || c.page_size < 1 || c.page_size > 1000)
            return sluicectl_usage_error("--page-size takes 1..1000, got '%s'", g.page_size);
    }
    if ((rc = load_token(&g, &token)) != 0)
        return rc;
    c.have_token = token != NULL;
    c.http = sluicectl_http_create(server, token, &err);
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    if (!c.http) {
        fprintf(stderr, "sluicectl: %s\n", err.msg);
        return SLUICECTL_EXIT_ERROR;
    }
    c.now = time(NULL);
    rc = cmd->run(&c, &a);
    sluicectl_http_destroy(c.http);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sluicectl: cannot write the output: %s\n", strerror(errno));
        if (rc == SLUICECTL_EXIT_OK)
            rc = SLUICECTL_EXIT_ERROR;
    }
    return rc;
}

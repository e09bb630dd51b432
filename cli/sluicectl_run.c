/* sluicectl_run — `sluicectl run`: the offline runner.
 *
 * Runs a pipeline spec over a file of messages with the same executor the
 * worker uses (worker/engine/sl_exec.h), with no Kafka: one JSON envelope per
 * input line in, one JSON line per produced record out (to_topic outputs and
 * dead letters, in processing order). The input is processed as a stream:
 * lines are read one at a time, and every --batch lines (default 1024) the
 * output is flushed and the batch memory reset, as the worker does after a
 * consumed batch. Exit status: 0 ok; 1 when some input line was not a valid
 * envelope (each reported on stderr with its line number; the run goes on),
 * when the pipeline failed (on_error "fail") or on an I/O error; 2 for usage
 * errors and an invalid spec (nothing is written to the output).
 *
 * A stateful plan (windows, aggregate) gets a state store (sl_state.h) in a
 * fresh temporary directory (mkdtemp under $TMPDIR, else /tmp), removed at
 * exit: every run starts from empty state, so the output depends only on
 * the input. The store's change list is committed after every batch (offset
 * = the line number), as a worker checkpoints, so it does not grow.
 * See docs/pipeline-spec.md, "Running a pipeline locally". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "engine/sl_exec.h"
#include "sluicectl_run.h"
#include "spec/sl_spec.h"
#include "util/sl_buf.h"
#include "util/sl_log.h"
#include "value/sl_mem.h"
#include "value/sl_value.h"

#define RUN_MAX_SPEC_ERRORS 16
#define RUN_MAX_HEADERS 64
#define RUN_FLUSH_BYTES (64 * 1024)

typedef struct run_opts {
    const char *spec_path;
    const char *in_path;
    const char *out_path;
    long batch;
    int stats;
} run_opts;

typedef struct run_state {
    FILE *out;
    sl_buf obuf;        /* pending output lines */
    int io_error;
    sluicectl_offsets offsets; /* next offset per partition */
} run_state;

static void run_usage(FILE *f)
{
    fprintf(f, "usage: sluicectl run -f PIPELINE.json [-i IN.jsonl] [-o OUT.jsonl] [--batch N]\n"
               "                     [--log-level debug|info|warn|error] [--stats]\n"
               "  input lines:  {\"key\": str|null, \"value\": any, \"timestamp\": int ms,\n"
               "                 \"partition\": int, \"offset\": int, \"headers\": {str: str}}\n"
               "  output lines: {\"topic\", \"key\", \"value\", \"timestamp\", \"headers\"}\n");
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->batch = 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            run_usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--stats") == 0) {
            o->stats = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "sluicectl run: option '%s' needs a value (or is unknown)\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
            o->spec_path = v;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--input") == 0) {
            o->in_path = v;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            o->out_path = v;
        } else if (strcmp(a, "--batch") == 0) {
            char *end;
            o->batch = strtol(v, &end, 10);
            if (*end || o->batch < 1 || o->batch > 1000000) {
                fprintf(stderr, "sluicectl run: --batch expects 1..1000000, got '%s'\n", v);
                return -1;
            }
        } else if (strcmp(a, "--log-level") == 0) {
            int level = sl_log_level_parse(v);
            if (level < 0) {
                fprintf(stderr, "sluicectl run: unknown log level '%s'\n", v);
                return -1;
            }
            sl_log_level_global = level;
        } else {
            fprintf(stderr, "sluicectl run: unknown option '%s'\n", a);
            return -1;
        }
    }
    if (!o->spec_path) {
        fprintf(stderr, "sluicectl run: -f PIPELINE.json is required\n");
        return -1;
    }
    return 0;
}

/* Reads a whole file into a new NUL-terminated buffer (free with free). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    sl_buf b = SL_BUF_INIT;
    char chunk[65536];
    size_t n;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (sl_buf_append(&b, chunk, n) != SL_OK) {
            sl_buf_free(&b);
            fclose(f);
            return NULL;
        }
    }
    if (ferror(f) || sl_buf_reserve(&b, 0) != SL_OK) {
        sl_buf_free(&b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = b.len;
    return b.data;
}

/* Parses and validates the spec; prints every error and returns NULL. */
static sl_plan *load_plan(const char *path)
{
    size_t len = 0, nerrs = 0;
    char *text = read_file(path, &len);
    sl_error errs[RUN_MAX_SPEC_ERRORS];
    char line[SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 64];
    if (!text) {
        fprintf(stderr, "sluicectl run: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    sl_plan *plan = sl_plan_parse_all(text, len, errs, RUN_MAX_SPEC_ERRORS, &nerrs);
    free(text);
    for (size_t i = 0; !plan && i < nerrs; i++)
        fprintf(stderr, "sluicectl run: invalid spec %s: %s\n", path,
                sl_error_format(&errs[i], line, sizeof(line)));
    return plan;
}

static void flush_out(run_state *st)
{
    if (st->obuf.len && fwrite(st->obuf.data, 1, st->obuf.len, st->out) != st->obuf.len)
        st->io_error = 1;
    sl_buf_reset(&st->obuf);
    if (fflush(st->out) != 0)
        st->io_error = 1;
}

/* True if text parses as JSON (only asked for dead letters: rare). */
static int is_json(const void *text, size_t len)
{
    yyjson_doc *d = yyjson_read(text, len, 0);
    yyjson_doc_free(d);
    return d != NULL;
}

/* JSON value of an output record: JSON text as is for json records (a dead
 * letter's original bytes only if they parse), a string otherwise. */
static int write_record_value(const sl_record *rec, sl_buf *b)
{
    if (!rec->value)
        return sl_buf_append_str(b, "null");
    if (rec->value_format == SL_FORMAT_JSON &&
        (!rec->dead_letter || is_json(rec->value, rec->value_len)))
        return sl_buf_append(b, rec->value, rec->value_len);
    return sl_value_write_json_str(rec->value, rec->value_len, b);
}

static int emit_line(void *opaque, const sl_record *rec, sl_error *err)
{
    run_state *st = opaque;
    sl_buf *b = &st->obuf;
    int rc = sl_buf_append_str(b, "{\"topic\":");
    rc |= sl_value_write_json_str(rec->topic, strlen(rec->topic), b);
    rc |= sl_buf_append_str(b, ",\"key\":");
    rc |= rec->key ? sl_value_write_json_str(rec->key, rec->key_len, b)
                   : sl_buf_append_str(b, "null");
    rc |= sl_buf_append_str(b, ",\"value\":");
    rc |= write_record_value(rec, b);
    rc |= sl_buf_printf(b, ",\"timestamp\":%" PRId64 ",\"headers\":{", rec->timestamp);
    for (size_t i = 0; i < rec->nheaders; i++) {
        const sl_header *h = &rec->headers[i];
        rc |= sl_buf_append_str(b, i ? "," : "");
        rc |= sl_value_write_json_str(h->name, strlen(h->name), b);
        rc |= sl_buf_append_str(b, ":");
        rc |= sl_value_write_json_str(h->value ? h->value : "", h->value_len, b);
    }
    rc |= sl_buf_append_str(b, "}}\n");
    if (rc != SL_OK)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory writing output");
    if (b->len >= RUN_FLUSH_BYTES)
        flush_out(st);
    return st->io_error ? sl_error_set(err, SL_ERR_IO, "cannot write output: %s",
                                       strerror(errno))
                        : SL_OK;
}

/* Creates a fresh directory for the run's state store into dir (PATH_MAX). */
static int make_state_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(dir, size, "%s/sluicectl-run-XXXXXX", tmp) >= size)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

static int commit_state(sl_state *state, size_t lineno)
{
    sl_error err;
    if (!state || sl_state_checkpoint_commit(state, (int64_t)lineno, -1, &err) == SL_OK)
        return 0;
    fprintf(stderr, "sluicectl run: state store: %s\n", err.msg);
    return 1;
}

static int run_stream(const run_opts *o, sl_plan *plan, FILE *in, run_state *st,
                      sl_state *state)
{
    sl_error err;
    sl_exec *ex = sl_exec_create(plan, NULL, emit_line, st, &err);
    sl_mem *mem = sl_mem_create(0);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int status = 0, since_reset = 0;

    if (!ex || !mem) {
        fprintf(stderr, "sluicectl run: out of memory\n");
        status = 1;
        goto out;
    }
    if (state)
        sl_exec_set_state(ex, state);
    while ((n = getline(&line, &cap, in)) >= 0) {
        sl_message msg;
        sl_header headers[RUN_MAX_HEADERS];
        lineno++;
        if (sluicectl_line_is_blank(line, (size_t)n))
            continue;
        if (sluicectl_envelope_parse(mem, plan, &st->offsets, line, (size_t)n, &msg, headers,
                                     RUN_MAX_HEADERS, &err) != SL_OK) {
            fprintf(stderr, "sluicectl run: line %zu: invalid envelope: %s\n", lineno, err.msg);
            status = 1;
            continue;
        }
        if (sl_exec_process(ex, &msg, &err) != SL_OK) {
            char buf[SL_ERROR_MSG_MAX + SL_ERROR_WHERE_MAX + 64];
            fprintf(stderr, "sluicectl run: line %zu: pipeline stopped: %s\n", lineno,
                    sl_error_format(&err, buf, sizeof(buf)));
            status = 1;
            break;
        }
        if (++since_reset >= o->batch) {
            if (commit_state(state, lineno)) {
                status = 1;
                break;
            }
            flush_out(st);
            sl_exec_batch_reset(ex);
            sl_mem_reset(mem);
            since_reset = 0;
        }
        if (st->io_error)
            break;
    }
    flush_out(st);
    if (ferror(in)) {
        fprintf(stderr, "sluicectl run: error reading input: %s\n", strerror(errno));
        status = 1;
    }
    if (st->io_error) {
        fprintf(stderr, "sluicectl run: error writing output\n");
        status = 1;
    }
    const sl_exec_counters *c = sl_exec_counters_get(ex);
    if (o->stats && state)
        fprintf(stderr,
                "sluicectl run: lines=%zu in=%" PRIu64 " out=%" PRIu64 " dropped=%" PRIu64
                " errors=%" PRIu64 " dead_lettered=%" PRIu64 " skipped=%" PRIu64
                " late=%" PRIu64 "\n",
                lineno, c->in, c->out, c->dropped, c->errors, c->dead_lettered, c->skipped,
                c->late);
    else if (o->stats)
        fprintf(stderr,
                "sluicectl run: lines=%zu in=%" PRIu64 " out=%" PRIu64 " dropped=%" PRIu64
                " errors=%" PRIu64 " dead_lettered=%" PRIu64 " skipped=%" PRIu64 "\n",
                lineno, c->in, c->out, c->dropped, c->errors, c->dead_lettered, c->skipped);
out:
    free(line);
    sl_mem_destroy(mem);
    sl_exec_destroy(ex);
    return status;
}

int sluicectl_run(int argc, char **argv)
{
    run_opts o;
    run_state st = {0};
    FILE *in = stdin;
    int status;

    if (parse_args(argc, argv, &o) != 0) {
        run_usage(stderr);
        return 2;
    }
    sl_plan *plan = load_plan(o.spec_path);
    if (!plan)
        return 2;
    if (o.in_path && strcmp(o.in_path, "-") != 0 && !(in = fopen(o.in_path, "r"))) {
        fprintf(stderr, "sluicectl run: cannot read %s: %s\n", o.in_path, strerror(errno));
        sl_plan_free(plan);
        return 2;
    }
    st.out = stdout;
    if (o.out_path && strcmp(o.out_path, "-") != 0 && !(st.out = fopen(o.out_path, "w"))) {
        fprintf(stderr, "sluicectl run: cannot write %s: %s\n", o.out_path, strerror(errno));
        if (in != stdin)
            fclose(in);
        sl_plan_free(plan);
        return 2;
    }
    char state_dir[4096] = "";
    sl_state *state = NULL;
    if (sl_plan_is_stateful(plan)) {
        sl_error err;
        if (make_state_dir(state_dir, sizeof(state_dir)) != 0) {
            fprintf(stderr, "sluicectl run: cannot create a state directory: %s\n",
                    strerror(errno));
            state_dir[0] = '\0';
            status = 1;
            goto done;
        }
        if (!(state = sl_state_open(state_dir, NULL, &err))) {
            fprintf(stderr, "sluicectl run: cannot open the state store: %s\n", err.msg);
            status = 1;
            goto done;
        }
    }
    status = run_stream(&o, plan, in, &st, state);
done:
    sl_state_close(state);
    if (state_dir[0]) {
        sl_error err;
        if (sl_state_destroy_dir(state_dir, &err) != SL_OK)
            fprintf(stderr, "sluicectl run: cannot remove %s: %s\n", state_dir, err.msg);
    }
    if (in != stdin)
        fclose(in);
    if (st.out != stdout && fclose(st.out) != 0)
        status = 1;
    sl_buf_free(&st.obuf);
    free(st.offsets.next);
    sl_plan_free(plan);
    return status;
}

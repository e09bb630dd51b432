/* sl_worker_config — option table, argv parsing and generated help (see
 * sl_worker_config.h). Each option is one row of WORKER_OPTIONS: adding an
 * option here adds it to parsing, --help and the docs table at once. */
#include "runtime/sl_worker_config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sl_log.h"

enum opt_kind { OPT_FLAG, OPT_STRING, OPT_INT, OPT_PROP };

typedef struct worker_option {
    const char *long_name;
    const char *short_name; /* NULL: none */
    const char *metavar;    /* NULL for flags */
    enum opt_kind kind;
    size_t offset; /* into sl_worker_config */
    int min, max;  /* OPT_INT range */
    const char *default_text;
    const char *help;
} worker_option;

#define OFF(field) offsetof(sl_worker_config, field)

static const worker_option WORKER_OPTIONS[] = {
    {"--standalone", NULL, NULL, OPT_FLAG, OFF(standalone), 0, 0, "",
     "run every partition of the pipeline's input topic in this process"},
    {"--file", "-f", "FILE", OPT_STRING, OFF(spec_file), 0, 0, "",
     "the pipeline spec (JSON); standalone mode"},
    {"--controller", NULL, "URL", OPT_STRING, OFF(controller), 0, 0, "",
     "cluster mode: run the tasks the controller at this base URL (`http://HOST:PORT`) assigns; "
     "excludes `--standalone`"},
    {"--token-file", NULL, "FILE", OPT_STRING, OFF(token_file), 0, 0, "",
     "cluster mode: file holding the worker token (sent as `Authorization: Bearer`)"},
    {"--id", NULL, "ID", OPT_STRING, OFF(id), 0, 0, "hostname",
     "cluster mode: this worker's id, unique in the cluster"},
    {"--capacity", NULL, "N", OPT_INT, OFF(capacity), 1, 10000, "16",
     "cluster mode: most tasks this worker runs at once"},
    {"--heartbeat-interval-ms", NULL, "N", OPT_INT, OFF(heartbeat_interval_ms), 50, 60000, "1000",
     "cluster mode: heartbeat period, until the controller's answer sets one"},
    {"--bootstrap-servers", NULL, "HOST:PORT", OPT_STRING, OFF(bootstrap), 0, 0, "",
     "Kafka bootstrap servers (cluster mode: optional, the controller's by default)"},
    {"--property", "-X", "KEY=VALUE", OPT_PROP, OFF(props), 0, 0, "",
     "a librdkafka property for every Kafka client of the worker (security settings such as "
     "`security.protocol`, `sasl.*`, `ssl.*` pass through); repeatable"},
    {"--state-dir", NULL, "DIR", OPT_STRING, OFF(state_dir), 0, 0, "/tmp/sluice-worker",
     "where task state lives (used by stateful steps)"},
    {"--state-block-cache-mb", NULL, "N", OPT_INT, OFF(state_block_cache_mb), 1, 65536, "32",
     "RocksDB block cache of each stateful task, MiB (docs/state.md)"},
    {"--state-write-buffer-mb", NULL, "N", OPT_INT, OFF(state_write_buffer_mb), 1, 4096, "16",
     "RocksDB write buffer (memtable) of each stateful task, MiB; up to two per task"},
    {"--metrics-port", NULL, "N", OPT_INT, OFF(metrics_port), 0, 65535, "0 (off)",
     "serve `/metrics` and `/healthz` on this port"},
    {"--metrics-address", NULL, "ADDR", OPT_STRING, OFF(metrics_address), 0, 0, "0.0.0.0",
     "address for the metrics server"},
    {"--threads", NULL, "N", OPT_INT, OFF(threads), 0, 256, "cores",
     "worker threads; tasks are spread over them (standalone mode; a cluster worker runs a "
     "thread per task)"},
    {"--commit-interval-ms", NULL, "N", OPT_INT, OFF(commit_interval_ms), 10, 3600000, "1000",
     "checkpoint at least this often"},
    {"--commit-every", NULL, "N", OPT_INT, OFF(commit_every), 1, INT_MAX, "100000",
     "... or after this many input messages of a thread"},
    {"--batch-size", NULL, "N", OPT_INT, OFF(batch_size), 1, 100000, "2000",
     "most messages taken from Kafka per batch"},
    {"--output-partitions", NULL, "N", OPT_INT, OFF(output_partitions), 0, 10000, "input's",
     "partition count of output and dead-letter topics that Sluice creates (standalone mode; "
     "in a cluster the controller creates topics)"},
    {"--max-message-bytes", NULL, "N", OPT_INT, OFF(max_message_bytes), 1, INT_MAX, "1048576",
     "larger input values are rejected through `on_error`"},
    {"--shutdown-timeout-ms", NULL, "N", OPT_INT, OFF(shutdown_timeout_ms), 100, 3600000, "30000",
     "how long the final checkpoint may take on SIGTERM"},
    {"--log-level", NULL, "L", OPT_STRING, OFF(log_level), 0, 0, "info",
     "`debug`, `info`, `warn`, `error`"},
};

#define NOPTIONS (sizeof(WORKER_OPTIONS) / sizeof(WORKER_OPTIONS[0]))

static void set_defaults(sl_worker_config *c)
{
    memset(c, 0, sizeof(*c));
    c->state_dir = "/tmp/sluice-worker";
    c->state_block_cache_mb = 32;
    c->state_write_buffer_mb = 16;
    c->metrics_address = "0.0.0.0";
    c->commit_interval_ms = 1000;
    c->commit_every = 100000;
    c->batch_size = 2000;
    c->max_message_bytes = 1048576;
    c->shutdown_timeout_ms = 30000;
    c->log_level = "info";
    c->capacity = 16;
    c->heartbeat_interval_ms = 1000;
    if (gethostname(c->id_default, sizeof(c->id_default) - 1) != 0 || !c->id_default[0])
        snprintf(c->id_default, sizeof(c->id_default), "sluice-worker");
    c->id_default[sizeof(c->id_default) - 1] = '\0';
    c->id = c->id_default;
}

static const worker_option *find_option(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const worker_option *o = &WORKER_OPTIONS[i];
        size_t n = strlen(o->long_name);
        if (strcmp(arg, o->long_name) == 0 || (o->short_name && strcmp(arg, o->short_name) == 0))
            return o;
        if (strncmp(arg, o->long_name, n) == 0 && arg[n] == '=' && o->metavar) {
            *inline_value = arg + n + 1;
            return o;
        }
    }
    return NULL;
}

int sl_worker_config_parse(sl_worker_config *c, int argc, char **argv, sl_error *err)
{
    set_defaults(c);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sl_worker_config_print_help(stdout, 0);
            return 1;
        }
        if (strcmp(arg, "--help-markdown") == 0) {
            sl_worker_config_print_help(stdout, 1);
            return 1;
        }
        const worker_option *o = find_option(arg, &value);
        if (!o)
            return sl_error_set(err, SL_ERR_INVALID, "unknown option '%s' (see --help)", arg);
        void *field = (char *)c + o->offset;
        if (o->kind == OPT_FLAG) {
            *(int *)field = 1;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return sl_error_set(err, SL_ERR_INVALID, "option %s needs a value %s",
                                    o->long_name, o->metavar);
            value = argv[++i];
        }
        if (o->kind == OPT_STRING) {
            *(const char **)field = value;
        } else if (o->kind == OPT_PROP) {
            if (sl_kafka_props_add_kv(&c->props, value, err) != SL_OK)
                return SL_ERR_INVALID;
        } else {
            char *end = NULL;
            errno = 0;
            long v = strtol(value, &end, 10);
            if (errno || !*value || *end || v < o->min || v > o->max)
                return sl_error_set(err, SL_ERR_INVALID,
                                    "option %s takes an integer from %d to %d, got '%s'",
                                    o->long_name, o->min, o->max, value);
            *(int *)field = (int)v;
        }
    }
    if (c->standalone && c->controller)
        return sl_error_set(err, SL_ERR_INVALID,
                            "--standalone and --controller are mutually exclusive");
    if (c->controller && c->spec_file)
        return sl_error_set(err, SL_ERR_INVALID,
                            "option -f is for standalone mode; in cluster mode the controller "
                            "assigns the pipelines");
    if (!c->id || !*c->id)
        return sl_error_set(err, SL_ERR_INVALID, "option --id needs a non-empty value");
    if (sl_log_level_parse(c->log_level) < 0)
        return sl_error_set(err, SL_ERR_INVALID,
                            "option --log-level takes debug, info, warn or error, got '%s'",
                            c->log_level);
    return SL_OK;
}

void sl_worker_config_clear(sl_worker_config *c)
{
    if (c)
        sl_kafka_props_clear(&c->props);
}

void sl_worker_config_print_help(FILE *out, int markdown)
{
    if (markdown) {
        fprintf(out, "| option | default | meaning |\n|---|---|---|\n");
    } else {
        fprintf(out, "usage: sluice-worker --standalone -f PIPELINE.json --bootstrap-servers "
                     "HOST:PORT [options]\n"
                     "       sluice-worker --controller URL --token-file FILE [--id ID] "
                     "[--capacity N] [options]\n\noptions:\n");
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        const worker_option *o = &WORKER_OPTIONS[i];
        char names[96];
        snprintf(names, sizeof(names), "%s%s%s%s%s", o->short_name ? o->short_name : "",
                 o->short_name ? ", " : "", o->long_name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        if (markdown)
            fprintf(out, "| `%s` | %s%s%s | %s |\n", names, *o->default_text ? "`" : "",
                    o->default_text, *o->default_text ? "`" : "", o->help);
        else
            fprintf(out, "  %-36s %s%s%s%s\n", names, o->help, *o->default_text ? " [" : "",
                    o->default_text, *o->default_text ? "]" : "");
    }
}

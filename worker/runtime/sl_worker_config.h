/* sl_worker_config — the worker's command-line options, declared once in a
 * table (sl_worker_config.c) that parses argv and also prints the options
 * table of docs/worker.md (`sluice-worker --help-markdown`). */
#ifndef SL_WORKER_CONFIG_H
#define SL_WORKER_CONFIG_H

#include <stdio.h>

#include "kafka/sl_kafka_conf.h"
#include "util/sl_error.h"

typedef struct sl_worker_config {
    int standalone;
    const char *spec_file;
    /* cluster mode (docs/worker.md, "Cluster mode") */
    const char *controller;     /* the controller's base URL; excludes standalone */
    const char *token_file;     /* holds the worker token */
    const char *id;             /* default: id_default (the hostname) */
    int capacity;               /* most tasks run at once */
    int heartbeat_interval_ms;  /* until the controller sets one */
    char id_default[256];
    const char *bootstrap;      /* cluster mode: NULL takes the controller's */
    sl_kafka_props props; /* -X key=value, owned */
    const char *state_dir;
    int metrics_port;
    const char *metrics_address;
    int threads; /* 0: number of cores */
    int commit_interval_ms;
    int commit_every;
    int batch_size;
    int output_partitions; /* 0: the input's */
    int max_message_bytes;
    int shutdown_timeout_ms;
    const char *log_level;
    int state_block_cache_mb;  /* per stateful task; 0: sl_state's default */
    int state_write_buffer_mb; /* per stateful task; 0: sl_state's default */
} sl_worker_config;

/* Fills c from argv (strings borrowed from argv; props copied; c->id may
 * point into c itself). Returns 0, 1 when help was printed (exit 0), or
 * SL_ERR_INVALID naming the option (also for --standalone with --controller). */
int sl_worker_config_parse(sl_worker_config *c, int argc, char **argv, sl_error *err);

/* Frees what parse allocated; NULL is a no-op. */
void sl_worker_config_clear(sl_worker_config *c);

/* Prints the options as --help text, or as the Markdown table of the docs. */
void sl_worker_config_print_help(FILE *out, int markdown);

#endif

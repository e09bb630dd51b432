/* bench_args — the command-line options of the bench programs, declared as
 * a table: "--name VALUE" pairs, -X key=value librdkafka properties, --help.
 * Header-only (each bench program is one .c file). */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sl_kafka_conf.h"

typedef enum bench_arg_kind {
    BENCH_ARG_STR,   /* const char ** */
    BENCH_ARG_LL,    /* long long * */
    BENCH_ARG_INT,   /* int * */
    BENCH_ARG_DOUBLE /* double * */
} bench_arg_kind;

typedef struct bench_arg {
    const char *name; /* "--count" */
    bench_arg_kind kind;
    void *dst;
} bench_arg;

/* Parses argv against args[0..n); -X goes to props. Prints usage_text and
 * exits 0 on --help. Returns 0, or -1 after a message on stderr naming prog
 * and the bad argument. Values are borrowed from argv. */
static inline int bench_args_parse(const char *prog, const char *usage_text, int argc,
                                   char **argv, const bench_arg *args, size_t n,
                                   sl_kafka_props *props)
{
    sl_error err;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            return -1;
        }
        const char *v = argv[++i];
        if (strcmp(a, "-X") == 0) {
            if (sl_kafka_props_add_kv(props, v, &err) != SL_OK) {
                fprintf(stderr, "%s: %s\n", prog, err.msg);
                return -1;
            }
            continue;
        }
        size_t k = 0;
        while (k < n && strcmp(args[k].name, a) != 0)
            k++;
        if (k == n) {
            fprintf(stderr, "%s: unknown argument '%s'\n%s", prog, a, usage_text);
            return -1;
        }
        switch (args[k].kind) {
        case BENCH_ARG_STR:
            *(const char **)args[k].dst = v;
            break;
        case BENCH_ARG_LL:
            *(long long *)args[k].dst = atoll(v);
            break;
        case BENCH_ARG_INT:
            *(int *)args[k].dst = atoi(v);
            break;
        case BENCH_ARG_DOUBLE:
            *(double *)args[k].dst = atof(v);
            break;
        }
    }
    return 0;
}

#endif

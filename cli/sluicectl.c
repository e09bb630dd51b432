/* sluicectl — the command-line client: `sluicectl run` (the offline runner,
 * sluicectl_run.c) and the REST client of the controller (`tenants`,
 * `tokens`, `pipelines`, `workers`, `tasks`: sluicectl_rest.c). */
#include <stdio.h>
#include <string.h>

#include "engine/sl_engine.h"
#include "sluicectl_rest.h"
#include "sluicectl_run.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sluicectl [global options] <command> [options]\n"
                 "  run -f PIPELINE.json [-i IN.jsonl] [-o OUT.jsonl]\n"
                 "                                  run a pipeline locally on a file of "
                 "messages (no Kafka)\n"
                 "  version                         print the version\n"
                 "  help                            print this help\n\n");
    sluicectl_rest_usage(out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("sluicectl %s\n", sl_engine_version());
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return sluicectl_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    /* the REST commands, global options possibly first */
    if (sluicectl_rest_is_command(argv[1]) || sluicectl_rest_is_global_option(argv[1]))
        return sluicectl_rest_main(argc, argv);
    fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

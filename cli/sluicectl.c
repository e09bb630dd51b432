/* sluicectl — the command-line client: `sluicectl run` (offline runner) and,
 * later, the REST client for the controller. */
#include <stdio.h>
#include <string.h>

#include "engine/sl_engine.h"
#include "sluicectl_run.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sluicectl <command> [options]\n"
                 "  run -f PIPELINE.json [-i IN.jsonl] [-o OUT.jsonl]\n"
                 "                 run a pipeline locally on a file of messages (no Kafka)\n"
                 "  version        print the version\n");
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
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

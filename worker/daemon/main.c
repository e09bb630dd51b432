/* sluice-worker — runs pipeline tasks (standalone or for a controller).
 * The task runtime arrives with the worker issue; for now it identifies
 * itself and rejects what it cannot do yet. */
#include <stdio.h>
#include <string.h>

#include "engine/sl_engine.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--version") == 0)) {
        printf("sluice-worker %s\n", sl_engine_version());
        return 0;
    }
    fprintf(stderr, "sluice-worker %s: task runtime not built yet (see docs/architecture.md)\n",
            sl_engine_version());
    return 2;
}

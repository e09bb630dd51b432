/* sluice-devkafka — a Kafka-protocol broker in one process (librdkafka's mock
 * cluster), for trying Sluice out and for fast tests.
 *
 *   sluice-devkafka [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints the bootstrap address as the first line of stdout, then runs until
 * SIGTERM or SIGINT. Topics can also be created later through sl_topic_admin
 * (the admin control topic). Limits: see docs/embedded-kafka.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sl_embedded_broker.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sluice-devkafka [--brokers N] [--topic NAME:PARTITIONS]...\n"
                 "Runs an embedded Kafka-protocol broker; prints its bootstrap address on the\n"
                 "first line of stdout and runs until SIGTERM/SIGINT.\n");
}

int main(int argc, char **argv)
{
    int brokers = 1;
    sl_error err;
    sl_error_clear(&err);

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
            brokers = atoi(argv[++i]);
            if (brokers < 1 || brokers > 16) {
                fprintf(stderr, "sluice-devkafka: --brokers takes 1..16\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
            i++; /* created below, once the broker runs */
        } else {
            fprintf(stderr, "sluice-devkafka: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    sl_signal_install_stop();
    sl_embedded_broker *b = sl_embedded_broker_create(brokers, &err);
    if (!b) {
        fprintf(stderr, "sluice-devkafka: %s\n", err.msg);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--topic") == 0) {
            if (sl_embedded_broker_create_topic_arg(b, argv[++i], &err) != SL_OK) {
                fprintf(stderr, "sluice-devkafka: %s\n", err.msg);
                sl_embedded_broker_destroy(b);
                return 2;
            }
        } else if (strcmp(argv[i], "--brokers") == 0) {
            i++;
        }
    }
    printf("%s\n", sl_embedded_broker_bootstrap(b));
    fflush(stdout);
    sl_log_info("devkafka", "embedded Kafka broker listening on %s", sl_embedded_broker_bootstrap(b));
    sl_signal_wait_stop();
    sl_log_info("devkafka", "stopping");
    sl_embedded_broker_destroy(b);
    return 0;
}

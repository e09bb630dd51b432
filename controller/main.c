/* sluice-controller — the control plane. This first version hosts the
 * embedded Kafka broker (--embedded-kafka) and serves /healthz; the REST API,
 * tenants and scheduling arrive with the controller issue.
 *
 *   sluice-controller [--embedded-kafka [--topic NAME:PARTITIONS]...]
 *                     [--bootstrap-servers B] [--listen ADDR:PORT]
 *                     [-X librdkafka.property=value]...
 *
 * With --embedded-kafka the first line of stdout is the broker's bootstrap
 * address, exactly as sluice-devkafka prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/sl_http_server.h"
#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_kafka_conf.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

typedef struct controller_opts {
    int embedded_kafka;
    const char *bootstrap;
    const char *listen;
    sl_kafka_props props;
    const char *topics[64];
    int topic_count;
} controller_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluice-controller [--embedded-kafka [--topic NAME:PARTITIONS]...]\n"
            "                         [--bootstrap-servers HOST:PORT] [--listen ADDR:PORT]\n"
            "                         [-X librdkafka.property=value]...\n");
}

static int parse_args(int argc, char **argv, controller_opts *o)
{
    sl_error err;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--embedded-kafka") == 0) {
            o->embedded_kafka = 1;
        } else if (strcmp(a, "--bootstrap-servers") == 0 && next) {
            o->bootstrap = argv[++i];
        } else if (strcmp(a, "--listen") == 0 && next) {
            o->listen = argv[++i];
        } else if (strcmp(a, "--topic") == 0 && next && o->topic_count < 64) {
            o->topics[o->topic_count++] = argv[++i];
        } else if (strcmp(a, "-X") == 0 && next) {
            if (sl_kafka_props_add_kv(&o->props, argv[++i], &err) != SL_OK) {
                fprintf(stderr, "sluice-controller: %s\n", err.msg);
                return -1;
            }
        } else {
            fprintf(stderr, "sluice-controller: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    if (!o->embedded_kafka && !o->bootstrap) {
        fprintf(stderr, "sluice-controller: give --bootstrap-servers or --embedded-kafka\n");
        return -1;
    }
    return 0;
}

/* GET /readyz: ready once the broker (embedded or given) is known. */
static int on_readyz(void *ud, const sl_http_request *req, sl_http_response *resp)
{
    (void)ud;
    (void)req;
    return sl_buf_append_str(&resp->body, "{\"status\":\"ready\"}");
}

int main(int argc, char **argv)
{
    controller_opts o = {0};
    sl_error err;
    int rc = 1;
    sl_embedded_broker *broker = NULL;
    sl_http_server *http = NULL;

    o.listen = "127.0.0.1:8080";
    if (parse_args(argc, argv, &o) != 0) {
        sl_kafka_props_clear(&o.props);
        return 2;
    }
    sl_signal_install_stop();
    if (o.embedded_kafka) {
        broker = sl_embedded_broker_create(1, &err);
        if (!broker) {
            sl_log_error("controller", "embedded Kafka: %s", err.msg);
            goto out;
        }
        for (int i = 0; i < o.topic_count; i++) {
            if (sl_embedded_broker_create_topic_arg(broker, o.topics[i], &err) != SL_OK) {
                sl_log_error("controller", "%s", err.msg);
                rc = 2;
                goto out;
            }
        }
        o.bootstrap = sl_embedded_broker_bootstrap(broker);
        printf("%s\n", o.bootstrap);
        fflush(stdout);
        sl_log_info("controller", "embedded Kafka broker at %s", o.bootstrap);
    }
    sl_http_server_config hc = {.listen = o.listen};
    http = sl_http_server_create(&hc, &err);
    if (!http || sl_http_server_route(http, "GET", "/readyz", on_readyz, NULL, &err) != SL_OK) {
        sl_log_error("controller", "%s", err.msg);
        goto out;
    }
    sl_log_info("controller", "listening on http://%s (Kafka: %s)", o.listen, o.bootstrap);
    sl_signal_wait_stop();
    sl_log_info("controller", "stopping");
    rc = 0;
out:
    sl_http_server_destroy(http);
    sl_embedded_broker_destroy(broker);
    sl_kafka_props_clear(&o.props);
    return rc;
}

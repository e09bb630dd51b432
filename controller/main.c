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
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)con_cls;
    const char *body = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint\"}}";
    unsigned status = MHD_HTTP_NOT_FOUND;
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0) {
        if (strcmp(method, "GET") == 0) {
            body = "{\"status\":\"ok\"}";
            status = MHD_HTTP_OK;
        } else {
            body = "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"use GET\"}}";
            status = MHD_HTTP_METHOD_NOT_ALLOWED;
        }
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *http_start(const char *listen)
{
    char host[64] = "127.0.0.1";
    int port = 8080;
    const char *colon = strrchr(listen, ':');
    if (colon) {
        size_t n = (size_t)(colon - listen);
        if (n > 0 && n < sizeof(host)) {
            memcpy(host, listen, n);
            host[n] = '\0';
        }
        port = atoi(colon + 1);
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return NULL;
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                            on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    controller_opts o = {0};
    sl_error err;
    int rc = 1;
    sl_embedded_broker *broker = NULL;
    struct MHD_Daemon *http = NULL;

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
    http = http_start(o.listen);
    if (!http) {
        sl_log_error("controller", "cannot listen on %s", o.listen);
        goto out;
    }
    sl_log_info("controller", "listening on http://%s (Kafka: %s)", o.listen, o.bootstrap);
    sl_signal_wait_stop();
    sl_log_info("controller", "stopping");
    rc = 0;
out:
    if (http)
        MHD_stop_daemon(http);
    sl_embedded_broker_destroy(broker);
    sl_kafka_props_clear(&o.props);
    return rc;
}

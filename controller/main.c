/* sluice-controller — the control plane: REST API v1, tenants, the catalog
 * in __sluice_meta, scheduling of tasks onto workers (docs/operations.md).
 *
 *   sluice-controller (--bootstrap-servers B | --embedded-kafka [--topic NAME:PARTITIONS]...)
 *                     [--listen ADDR:PORT] [--admin-token-file F]
 *                     [--worker-token-file F] [--lease-ms N]
 *                     [--heartbeat-interval-ms N] [-X librdkafka.property=value]...
 *
 * With --embedded-kafka the first line of stdout is the broker's bootstrap
 * address, exactly as sluice-devkafka prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sl_api.h"
#include "core/sl_cluster_endpoint.h"
#include "core/sl_controller.h"
#include "core/sl_token_file.h"
#include "http/sl_http_server.h"
#include "kafka/sl_embedded_broker.h"
#include "kafka/sl_kafka_conf.h"
#include "util/sl_log.h"
#include "util/sl_signal.h"

typedef struct controller_opts {
    int embedded_kafka;
    const char *bootstrap;
    const char *listen;
    const char *admin_token_file;
    const char *worker_token_file;
    long lease_ms;
    long heartbeat_interval_ms;
    sl_kafka_props props;
    const char *topics[64];
    int topic_count;
} controller_opts;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sluice-controller (--bootstrap-servers HOST:PORT |\n"
            "                          --embedded-kafka [--topic NAME:PARTITIONS]...)\n"
            "                         [--listen ADDR:PORT]      (default 127.0.0.1:8080)\n"
            "                         [--admin-token-file F]    (created with a random token "
            "if missing)\n"
            "                         [--worker-token-file F]   (likewise)\n"
            "                         [--lease-ms N]            (worker lease, default 10000)\n"
            "                         [--heartbeat-interval-ms N] (default 1000)\n"
            "                         [-X librdkafka.property=value]...\n");
}

static int parse_long(const char *s, long min, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min)
        return -1;
    *out = v;
    return 0;
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
        } else if (strcmp(a, "--admin-token-file") == 0 && next) {
            o->admin_token_file = argv[++i];
        } else if (strcmp(a, "--worker-token-file") == 0 && next) {
            o->worker_token_file = argv[++i];
        } else if (strcmp(a, "--lease-ms") == 0 && next) {
            if (parse_long(argv[++i], 1000, &o->lease_ms) != 0) {
                fprintf(stderr, "sluice-controller: --lease-ms needs a number >= 1000\n");
                return -1;
            }
        } else if (strcmp(a, "--heartbeat-interval-ms") == 0 && next) {
            if (parse_long(argv[++i], 50, &o->heartbeat_interval_ms) != 0) {
                fprintf(stderr, "sluice-controller: --heartbeat-interval-ms needs a number "
                                ">= 50\n");
                return -1;
            }
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
    if (o->heartbeat_interval_ms && o->lease_ms && o->heartbeat_interval_ms * 3 > o->lease_ms) {
        fprintf(stderr, "sluice-controller: the lease must be at least 3 heartbeat intervals\n");
        return -1;
    }
    return 0;
}

/* Loads the token files into cfg. */
static int load_tokens(const controller_opts *o, sl_controller_config *cfg, sl_error *err)
{
    if (o->admin_token_file) {
        if (sl_token_file_load(o->admin_token_file, "sla_", 1, cfg->admin_hash, err) != SL_OK)
            return err->code;
        cfg->have_admin = 1;
    } else {
        sl_log_warn("controller", "no --admin-token-file: the tenant API is disabled");
    }
    if (o->worker_token_file) {
        if (sl_token_file_load(o->worker_token_file, "slw_", 1, cfg->worker_hash, err) != SL_OK)
            return err->code;
        cfg->have_worker = 1;
    } else {
        sl_log_warn("controller", "no --worker-token-file: no worker can join");
    }
    return SL_OK;
}

int main(int argc, char **argv)
{
    controller_opts o = {0};
    sl_controller_config cfg = {0};
    sl_error err;
    int rc = 1;
    sl_embedded_broker *broker = NULL;
    sl_http_server *http = NULL;
    sl_controller *c = NULL;

    o.listen = "127.0.0.1:8080";
    if (parse_args(argc, argv, &o) != 0) {
        sl_kafka_props_clear(&o.props);
        return 2;
    }
    sl_signal_install_stop();
    if (load_tokens(&o, &cfg, &err) != SL_OK) {
        sl_log_error("controller", "%s", err.msg);
        rc = 2;
        goto out;
    }
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
    cfg.bootstrap = o.bootstrap;
    cfg.props = o.props;
    memset(&o.props, 0, sizeof(o.props));
    cfg.lease_ms = o.lease_ms;
    cfg.heartbeat_interval_ms = (int)o.heartbeat_interval_ms;
    c = sl_controller_create(&cfg, broker, &err);
    if (!c) {
        sl_log_error("controller", "starting: %s", err.msg);
        goto out;
    }
    sl_http_server_config hc = {.listen = o.listen, .max_body = SL_API_MAX_BODY, .metrics = c->metrics};
    http = sl_http_server_create(&hc, &err);
    if (!http || sl_api_register(http, c, &err) != SL_OK ||
        sl_cluster_endpoint_register(http, c, &err) != SL_OK ||
        sl_controller_start(c, &err) != SL_OK) {
        sl_log_error("controller", "%s", err.msg);
        goto out;
    }
    sl_log_info("controller", "listening on http://%s (Kafka: %s, lease %lld ms)", o.listen,
                o.bootstrap, (long long)c->cfg.lease_ms);
    sl_signal_wait_stop();
    sl_log_info("controller", "stopping");
    rc = 0;
out:
    sl_http_server_destroy(http);
    if (c)
        sl_api_release(c);
    sl_controller_destroy(c);
    sl_embedded_broker_destroy(broker);
    sl_kafka_props_clear(&o.props);
    sl_kafka_props_clear(&cfg.props);
    return rc;
}

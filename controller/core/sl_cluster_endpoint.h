/* sl_cluster_endpoint — POST /v1/cluster/heartbeat: a worker's Heartbeat in
 * (protobuf, worker token), its Assignment out (docs/operations.md). */
#ifndef SL_CLUSTER_ENDPOINT_H
#define SL_CLUSTER_ENDPOINT_H

#include "core/sl_controller.h"
#include "http/sl_http_server.h"

/* Registers the route on http; c is borrowed and must outlive the server.
 * SL_OK or the server's error. */
int sl_cluster_endpoint_register(sl_http_server *http, sl_controller *c, sl_error *err);

#endif

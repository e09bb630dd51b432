/* sl_api — the controller's REST API v1 (docs/api.md is the contract): tenants
 * and their tokens, pipelines, workers and tasks, the embedded OpenAPI
 * description and /readyz. POST /v1/cluster/heartbeat is not here (see
 * core/sl_cluster_endpoint.h).
 *
 * Files: sl_api.c (registration, routing table, per-request checks: ready,
 * authentication, rate limit, token kind), sl_api_auth.c (bearer tokens and
 * the per-token rate limiter), sl_api_json.c (answers, errors, lists),
 * sl_api_tenants.c (tenants and tokens), sl_api_pipelines.c (pipeline
 * endpoints), sl_api_spec.c (a spec from a request; state fingerprint and
 * epoch), sl_api_pipeline_view.c (summaries, details, topics, task states),
 * sl_api_cluster_views.c (workers and tasks). The OpenAPI document is
 * embedded by controller/CMakeLists.txt (cmake/EmbedFile.cmake). */
#ifndef SL_API_H
#define SL_API_H

#include "core/sl_controller.h"
#include "http/sl_http_server.h"

/* The request body limit of docs/api.md: give it to sl_http_server_config's
 * max_body (the server answers 413 above it). */
#define SL_API_MAX_BODY (256 * 1024)

/* Registers every /v1 route of docs/api.md but the heartbeat, GET
 * /v1/openapi.yaml and GET /readyz on http. Allocates the API's rate limiter
 * into c->ratelimit (free it with sl_api_release). c is borrowed and must
 * outlive the server. SL_OK, or the server's error (SL_ERR_EXISTS when a
 * route is taken), SL_ERR_NOMEM. Call before requests arrive. */
int sl_api_register(sl_http_server *http, sl_controller *c, sl_error *err);

/* Frees what sl_api_register allocated in c (c->ratelimit, set to NULL): the
 * one place that frees it (sl_controller_destroy does not). Call after the
 * HTTP server is destroyed and before sl_controller_destroy; NULL and a
 * second call are no-ops. */
void sl_api_release(sl_controller *c);

#endif

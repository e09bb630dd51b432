#!/usr/bin/env python3
"""mock_controller — a stand-in for sluice-controller's REST API (docs/api.md),
python3 standard library only, for testing sluicectl without the controller.

Takes the controller's command line (--listen ADDR:PORT, --admin-token-file,
--worker-token-file; --embedded-kafka and the rest are accepted and ignored),
prints a bootstrap-like first line on stdout as the controller does, and
serves tenants, tokens, pipelines, workers and tasks in memory, with the
errors, statuses and pagination of docs/api.md. Specs are validated by
`sluicectl run` (SLUICECTL env, the same spec code the controller uses), and
its errors become the invalid_spec details. Pipelines never get tasks (there
is no worker): their state is "starting" while running and "paused" paused.

Test hooks: a tenant named "ratelimited-once" makes the next request answer
429 once; GET /v1/_html answers 502 with an HTML page.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
PIPELINE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
RUN_ERR_RE = re.compile(r"^sluicectl run: invalid spec [^:]*: (?:(?P<where>[^ :]+): )?(?P<msg>.*?)"
                        r"(?: \(at position (?P<pos>\d+)\))?$")
MAX_BODY = 256 * 1024


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, status, code, message, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class State:
    def __init__(self, admin, worker, sluicectl):
        self.lock = threading.Lock()
        self.admin, self.worker, self.sluicectl = admin, worker, sluicectl
        self.tenants = {}    # name -> tenant
        self.tokens = {}     # id -> {id, tenant, description, created_at, sha256}
        self.pipelines = {}  # (tenant, name) -> {summary..., spec}
        self.fail_next = 0

    def validate(self, spec_text):
        """Returns (spec, details); details empty when valid."""
        try:
            spec = json.loads(spec_text)
        except ValueError as e:
            raise ApiError(400, "invalid_json", "body is not JSON: %s" % e)
        if not isinstance(spec, dict):
            raise ApiError(400, "invalid_json", "a pipeline spec is a JSON object")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(spec, f)
        try:
            r = subprocess.run([self.sluicectl, "run", "-f", f.name], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=30)
        finally:
            os.unlink(f.name)
        details = []
        if r.returncode == 2:
            for line in r.stderr.splitlines():
                m = RUN_ERR_RE.match(line)
                if m:
                    details.append({"where": m.group("where") or "",
                                    "position": int(m.group("pos")) if m.group("pos") else -1,
                                    "message": m.group("msg")})
            if not details:
                details.append({"where": "", "position": -1, "message": r.stderr.strip()})
        return spec, details


def page(items, query, key):
    try:
        limit = int(query.get("limit", ["100"])[0])
    except ValueError:
        raise ApiError(400, "invalid_argument", "limit must be an integer 1..1000")
    if not 1 <= limit <= 1000:
        raise ApiError(400, "invalid_argument", "limit must be an integer 1..1000")
    items = sorted(items, key=key)
    start = 0
    if "page_token" in query:
        try:
            after = base64.urlsafe_b64decode(query["page_token"][0].encode()).decode()
        except ValueError:
            raise ApiError(400, "invalid_argument", "bad page_token")
        start = next((i for i, it in enumerate(items) if key(it) > after), len(items))
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    token = base64.urlsafe_b64encode(key(chunk[-1]).encode()).decode() if more else None
    return {"items": chunk, "next_page_token": token}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, fmt, *args):
        sys.stderr.write("mock: " + (fmt % args) + "\n")

    def send(self, status, obj=None, ctype="application/json", extra=None):
        data = b"" if obj is None else (obj if isinstance(obj, bytes) else json.dumps(obj).encode())
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urlsplit(self.path)
        try:
            if n > MAX_BODY:
                raise ApiError(413, "payload_too_large", "body over 256 KiB")
            status, obj, extra = self.route(method, url.path, parse_qs(url.query), body)
            self.send(status, obj, extra=extra)
        except ApiError as e:
            err = {"code": e.code, "message": e.message}
            if e.details is not None:
                err["details"] = e.details
            self.send(e.status, {"error": err})

    def auth(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Bearer "):
            raise ApiError(401, "unauthorized", "missing bearer token")
        tok = h[7:]
        st = self.state
        if tok == st.admin:
            return ("admin", None)
        if tok == st.worker:
            return ("worker", None)
        m = re.match(r"^slt_([a-z0-9]+)_([A-Za-z0-9]+)$", tok)
        if m and m.group(1) in st.tokens:
            t = st.tokens[m.group(1)]
            if t["sha256"] == hashlib.sha256(tok.encode()).hexdigest():
                return ("tenant", t["tenant"])
        raise ApiError(401, "unauthorized", "unknown token")

    def route(self, method, path, q, body):
        st = self.state
        if path == "/healthz" and method == "GET":
            return 200, {"status": "ok"}, None
        if path == "/readyz" and method == "GET":
            return 200, {"status": "ready"}, None
        if path == "/v1/_html":
            return 502, b"<html>\n<body>bad gateway</body></html>", None
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts[:1] != ["v1"]:
            raise ApiError(404, "not_found", "no such path")
        kind, tenant = self.auth()
        with st.lock:
            if st.fail_next:
                st.fail_next -= 1
                raise ApiError(429, "rate_limited", "too many requests")
            return self.route_v1(method, parts[1:], q, body, kind, tenant)

    def allow(self, method, allowed):
        if method not in allowed:
            raise ApiError(405, "method_not_allowed", "use " + ", ".join(allowed))

    def need(self, kind, *kinds):
        if kind not in kinds:
            raise ApiError(403, "forbidden", "this token may not call this endpoint")

    def json_body(self, body, optional=False):
        if not body and optional:
            return {}
        try:
            obj = json.loads(body)
        except ValueError as e:
            raise ApiError(400, "invalid_json", "body is not JSON: %s" % e)
        if not isinstance(obj, dict):
            raise ApiError(400, "invalid_json", "body must be a JSON object")
        return obj

    def route_v1(self, method, p, q, body, kind, tenant):
        st = self.state
        if p[:1] == ["tenants"]:
            return self.tenants(method, p[1:], q, body, kind, tenant)
        if p[:1] == ["pipelines"]:
            self.need(kind, "tenant")
            return self.pipelines(method, p[1:], q, body, tenant)
        if p == ["workers"]:
            self.allow(method, ["GET"])
            self.need(kind, "admin", "tenant")
            return 200, page([], q, lambda w: w["id"]), None
        if p == ["tasks"]:
            self.allow(method, ["GET"])
            self.need(kind, "admin", "tenant")
            return 200, page([], q, lambda t: t["tenant"]), None
        raise ApiError(404, "not_found", "no such path")

    def tenants(self, method, p, q, body, kind, tenant):
        st = self.state
        if len(p) >= 2 and p[1] == "tokens":
            self.need(kind, "admin", "tenant")
            if p[0] not in st.tenants or (kind == "tenant" and tenant != p[0]):
                raise ApiError(404, "not_found", "no tenant '%s'" % p[0])
            return self.tokens(method, p[0], p[2:], q, body)
        self.need(kind, "admin")
        if not p:
            self.allow(method, ["GET", "POST"])
            if method == "GET":
                return 200, page(list(st.tenants.values()), q, lambda t: t["name"]), None
            b = self.json_body(body)
            name = b.get("name")
            if not isinstance(name, str) or not TENANT_RE.match(name):
                raise ApiError(400, "invalid_argument",
                               "name: expected [a-z0-9][a-z0-9-]{0,31}, got %r" % (name,))
            if name in st.tenants:
                raise ApiError(409, "conflict", "tenant '%s' exists" % name)
            if name == "ratelimited-once":
                st.fail_next = 1
            t = {"name": name, "max_pipelines": b.get("max_pipelines", 20),
                 "max_tasks": b.get("max_tasks", 64), "pipelines": 0, "tasks": 0,
                 "created_at": now()}
            st.tenants[name] = t
            return 201, t, None
        if len(p) != 1:
            raise ApiError(404, "not_found", "no such path")
        self.allow(method, ["GET", "DELETE"])
        t = st.tenants.get(p[0])
        if not t:
            raise ApiError(404, "not_found", "no tenant '%s'" % p[0])
        if method == "GET":
            t["pipelines"] = sum(1 for (tn, _) in st.pipelines if tn == p[0])
            return 200, t, None
        if any(tn == p[0] for (tn, _) in st.pipelines):
            raise ApiError(409, "conflict", "tenant '%s' still has pipelines" % p[0])
        del st.tenants[p[0]]
        for tid in [i for i, tok in st.tokens.items() if tok["tenant"] == p[0]]:
            del st.tokens[tid]
        return 204, None, None

    def tokens(self, method, tenant, p, q, body):
        st = self.state
        public = lambda t: {k: t[k] for k in ("id", "tenant", "description", "created_at")}
        if not p:
            self.allow(method, ["GET", "POST"])
            if method == "GET":
                mine = [public(t) for t in st.tokens.values() if t["tenant"] == tenant]
                return 200, page(mine, q, lambda t: t["id"]), None
            b = self.json_body(body, optional=True)
            tid = secrets.token_hex(4)
            secret = secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")
            token = "slt_%s_%s" % (tid, secret)
            st.tokens[tid] = {"id": tid, "tenant": tenant, "description": b.get("description"),
                              "created_at": now(),
                              "sha256": hashlib.sha256(token.encode()).hexdigest()}
            out = public(st.tokens[tid])
            out["token"] = token
            return 201, out, None
        if len(p) != 1:
            raise ApiError(404, "not_found", "no such path")
        self.allow(method, ["DELETE"])
        t = st.tokens.get(p[0])
        if not t or t["tenant"] != tenant:
            raise ApiError(404, "not_found", "no token '%s'" % p[0])
        del st.tokens[p[0]]
        return 204, None, None

    def topics(self, tenant, spec):
        outs = [s["topic"] for s in spec.get("steps", []) if isinstance(s, dict)
                and s.get("op") == "to_topic"]
        stateful = any(isinstance(s, dict) and ("window" in str(s.get("op")) or
                       s.get("op") == "aggregate") for s in spec.get("steps", []))
        name = spec.get("name", "")
        return {"input": "%s.%s" % (tenant, spec["input"]["topic"]),
                "outputs": ["%s.%s" % (tenant, o) for o in outs],
                "dead_letter": "%s.%s" % (tenant, spec.get("dead_letter_topic", name + ".dlq")),
                "changelog": "%s.%s.changelog" % (tenant, name) if stateful else None}

    def summary(self, p):
        return {k: p[k] for k in ("name", "version", "desired", "state", "tasks_total",
                                  "tasks_running", "error", "created_at", "updated_at")}

    def pipelines(self, method, p, q, body, tenant):
        st = self.state
        if not p:
            self.allow(method, ["GET"])
            mine = [self.summary(v) for (tn, _), v in st.pipelines.items() if tn == tenant]
            return 200, page(mine, q, lambda s: s["name"]), None
        if p == ["validate"] and method == "POST":
            spec, details = st.validate(body)
            if details:
                raise ApiError(400, "invalid_spec", "%s: %s" % (details[0]["where"],
                               details[0]["message"]), details)
            return 200, {"valid": True, "spec": spec, "topics": self.topics(tenant, spec)}, None
        name = p[0]
        key = (tenant, name)
        if len(p) == 2 and p[1] in ("pause", "resume"):
            self.allow(method, ["POST"])
            if key not in st.pipelines:
                raise ApiError(404, "not_found", "no pipeline '%s'" % name)
            pl = st.pipelines[key]
            pl["desired"] = pl["state"] = "paused" if p[1] == "pause" else "running"
            if pl["state"] == "running":
                pl["state"] = "starting"
            return 200, self.summary(pl), None
        if len(p) != 1:
            raise ApiError(404, "not_found", "no such path")
        self.allow(method, ["GET", "PUT", "DELETE"])
        if method == "GET":
            if key not in st.pipelines:
                raise ApiError(404, "not_found", "no pipeline '%s'" % name)
            pl = dict(self.summary(st.pipelines[key]))
            spec = st.pipelines[key]["spec"]
            pl.update({"spec": spec, "topics": self.topics(tenant, spec), "state_epoch": 1,
                       "tasks": []})
            return 200, pl, None
        if method == "DELETE":
            if key not in st.pipelines:
                raise ApiError(404, "not_found", "no pipeline '%s'" % name)
            del st.pipelines[key]
            return 204, None, None
        spec, details = st.validate(body)
        if spec.get("name", name) != name:
            raise ApiError(400, "invalid_spec", "name: '%s' is not '%s'" % (spec["name"], name),
                           [{"where": "name", "position": -1, "message": "differs from the path"}])
        spec["name"] = name
        if details:
            raise ApiError(400, "invalid_spec", "%s: %s" % (details[0]["where"],
                           details[0]["message"]), details)
        old = st.pipelines.get(key)
        if old and old["spec"] == spec:
            return 200, self.summary(old), None
        if not old and sum(1 for (tn, _) in st.pipelines if tn == tenant) >= \
                st.tenants[tenant]["max_pipelines"]:
            raise ApiError(403, "quota_exceeded", "max_pipelines reached")
        pl = old or {"name": name, "version": 0, "desired": "running", "state": "starting",
                     "tasks_total": 0, "tasks_running": 0, "error": None, "created_at": now()}
        pl["version"] += 1
        pl["spec"] = spec
        pl["updated_at"] = now()
        st.pipelines[key] = pl
        return (200 if old else 201), self.summary(pl), None


def read_token(path):
    if not path:
        return None
    with open(path) as f:
        return f.read().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:8080")
    ap.add_argument("--admin-token-file")
    ap.add_argument("--worker-token-file")
    ap.add_argument("--embedded-kafka", action="store_true")
    args, _ = ap.parse_known_args()
    host, port = args.listen.rsplit(":", 1)
    sluicectl = os.environ.get("SLUICECTL", "sluicectl")
    Handler.state = State(read_token(args.admin_token_file), read_token(args.worker_token_file),
                          sluicectl)
    srv = ThreadingHTTPServer((host, int(port)), Handler)
    print("127.0.0.1:1", flush=True)  # where the controller prints its broker's address
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

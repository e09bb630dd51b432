#!/usr/bin/env python3
"""Validate rendered Kubernetes manifests offline (scripts/helm-check.sh).

    validate_manifests.py --kube-version 1.25.0 [--kube-version 1.37.0 ...] FILE...

Every document of every FILE (the output of `helm template`) is checked

  1. against the Kubernetes JSON schemas bundled with the PyPI package
     kubernetes-validate, in strict mode (unknown fields fail), for each
     --kube-version: a kind or apiVersion that the version does not serve is an
     error (kubernetes-validate's own CLI only warns about it);
  2. for custom resources listed in LOCAL_SCHEMAS, against a local JSON schema
     in deploy/helm/tools/schemas/ (the CRD schemas are not bundled);
  3. for what the API server would check but a schema cannot: a workload's
     selector must match its pod template's labels; a Service's, a
     PodDisruptionBudget's and a ServiceMonitor's selector must select
     something rendered; named ports used by probes and Services must exist;
     a StatefulSet's serviceName must be a rendered headless Service; no two
     resources may share a kind and a name.

Exit status 0 when everything passed, 1 otherwise. Needs the venv that
helm-check.sh makes (kubernetes-validate, jsonschema, PyYAML).
"""
import argparse
import json
import os
import sys

import jsonschema
import yaml
from kubernetes_validate import utils as kv

HERE = os.path.dirname(os.path.abspath(__file__))

# (apiVersion, kind) -> schema file in schemas/
LOCAL_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring-v1.json",
}

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def load_documents(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    for d in docs:
        if not isinstance(d, dict):
            raise ValueError("%s: a document is not a mapping: %r" % (path, d))
    return docs


def name_of(doc):
    meta = doc.get("metadata") or {}
    return "%s/%s" % (doc.get("kind", "?"), meta.get("name", "?"))


def matches(selector, labels):
    """A label selector (matchLabels/matchExpressions) against labels."""
    if not selector:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_template(doc):
    return (doc.get("spec") or {}).get("template") or {}


def container_ports(template):
    names = set()
    for c in (template.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if "name" in p:
                names.add(p["name"])
    return names


def semantic_checks(docs):
    errors = []
    seen = {}
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"), (d.get("metadata") or {}).get("name"))
        if key in seen:
            errors.append("%s is rendered twice" % name_of(d))
        seen[key] = d

    workloads = [d for d in docs if d.get("kind") in WORKLOADS]
    pods = []  # (workload, pod labels, named container ports)
    for w in workloads:
        tpl = pod_template(w)
        labels = (tpl.get("metadata") or {}).get("labels") or {}
        sel = (w.get("spec") or {}).get("selector")
        if not matches(sel, labels):
            errors.append("%s: spec.selector does not match the pod template's labels" % name_of(w))
        ports = container_ports(tpl)
        pods.append((w, labels, ports))
        for c in (tpl.get("spec") or {}).get("containers") or []:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
                if isinstance(port, str) and port not in ports:
                    errors.append("%s: container %s: %s uses port '%s', which no container names"
                                  % (name_of(w), c.get("name"), probe, port))

    services = [d for d in docs if d.get("kind") == "Service"]
    for s in services:
        spec = s.get("spec") or {}
        sel = spec.get("selector")
        if not sel:
            continue
        selected = [p for p in pods if all(p[1].get(k) == v for k, v in sel.items())]
        if not selected:
            errors.append("%s: its selector %s selects no rendered pod" % (name_of(s), sel))
        for port in spec.get("ports") or []:
            target = port.get("targetPort")
            if isinstance(target, str) and not any(target in p[2] for p in selected):
                errors.append("%s: targetPort '%s' is not a named port of the pods it selects"
                              % (name_of(s), target))

    for d in docs:
        kind = d.get("kind")
        spec = d.get("spec") or {}
        if kind == "PodDisruptionBudget":
            if not any(matches(spec.get("selector"), p[1]) for p in pods):
                errors.append("%s: its selector selects no rendered pod" % name_of(d))
        elif kind == "StatefulSet":
            svc = spec.get("serviceName")
            heads = [s for s in services if (s.get("metadata") or {}).get("name") == svc]
            if not heads or (heads[0].get("spec") or {}).get("clusterIP") != "None":
                errors.append("%s: serviceName '%s' is not a rendered headless Service"
                              % (name_of(d), svc))
        elif kind == "ServiceMonitor":
            chosen = [s for s in services
                      if matches(spec.get("selector"), (s.get("metadata") or {}).get("labels") or {})]
            if not chosen:
                errors.append("%s: its selector selects no rendered Service" % name_of(d))
            for ep in spec.get("endpoints") or []:
                port = ep.get("port")
                if port and not any(port in [p.get("name") for p in (s.get("spec") or {}).get("ports") or []]
                                    for s in chosen):
                    errors.append("%s: endpoint port '%s' is not a port of the Services it selects"
                                  % (name_of(d), port))
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kube-version", action="append", required=True,
                    help="Kubernetes version to validate against (repeatable)")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    local = {}
    for key, fname in LOCAL_SCHEMAS.items():
        with open(os.path.join(HERE, "schemas", fname)) as f:
            local[key] = jsonschema.Draft7Validator(json.load(f))

    failed = 0
    for path in args.files:
        try:
            docs = load_documents(path)
        except (OSError, ValueError, yaml.YAMLError) as e:
            print("FAIL %s: cannot read it as YAML: %s" % (path, e))
            failed += 1
            continue
        if not docs:
            print("FAIL %s: no Kubernetes resource in it" % path)
            failed += 1
            continue
        errors = []
        kinds = {}
        for d in docs:
            missing = [f for f in ("apiVersion", "kind") if not d.get(f)]
            if missing:
                errors.append("a document has no %s: %s"
                              % (" and no ".join(missing), json.dumps(d)[:120]))
                continue
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
            key = (d["apiVersion"], d["kind"])
            if key in local:
                for e in sorted(local[key].iter_errors(d), key=lambda e: list(e.path)):
                    where = ".".join(str(p) for p in e.path) or "(top)"
                    errors.append("%s: %s: %s (local schema %s)"
                                  % (name_of(d), where, e.message, LOCAL_SCHEMAS[key]))
                continue
            for version in args.kube_version:
                try:
                    kv.validate(d, version, strict=True)
                except kv.ValidationError as e:
                    where = ".".join(str(p) for p in e.path) or "(top)"
                    errors.append("%s: %s: %s (Kubernetes %s, strict)"
                                  % (name_of(d), where, e.message, e.version))
                except kv.SchemaNotFoundError as e:
                    errors.append("%s: Kubernetes %s has no schema for kind %s in %s"
                                  % (name_of(d), e.version, e.kind, e.api_version))
                except kv.VersionNotSupportedError:
                    print("FAIL kubernetes-validate %s has no schemas for Kubernetes %s"
                          % (kv.__version__, version))
                    return 1
        if not errors:
            errors = semantic_checks(docs)
        summary = ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items()))
        if errors:
            failed += 1
            print("FAIL %s (%s)" % (path, summary))
            for e in errors:
                print("  - " + e)
        else:
            crds = sorted({k for (_, k) in local if k in kinds})
            note = ("; %s checked against the local schema" % ", ".join(crds)) if crds else ""
            print("ok   %s: %s valid for Kubernetes %s (strict)%s"
                  % (path, summary, ", ".join(args.kube_version), note))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

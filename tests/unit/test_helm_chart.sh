#!/usr/bin/env bash
# The Helm chart (deploy/helm/sluice) lints, renders with the default and the
# options values, and every rendered manifest validates against the
# Kubernetes JSON schemas: scripts/helm-check.sh. Needs Go >= 1.26 on the
# first run (helm is installed with `go install` into ~/.cache/sluice/bin)
# and python3 with venv; no cluster, no Docker. A missing toolchain is a
# failure, not a skip.
set -euo pipefail
src=${2:?source dir}
if [ -z "${HELM:-}" ] && ! command -v go >/dev/null; then
    echo "FAIL: the Go toolchain is missing: scripts/helm-check.sh installs helm with" >&2
    echo "  'go install helm.sh/helm/v3/cmd/helm@v3.22.0' and needs Go >= 1.26 on PATH" >&2
    echo "  (or HELM=/path/to/helm-v3.22.0)." >&2
    exit 1
fi
exec bash "$src/scripts/helm-check.sh"

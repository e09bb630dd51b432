#!/usr/bin/env bash
# test_openapi — docs/api/openapi.yaml is a valid OpenAPI 3.0 document and
# describes exactly the endpoints of docs/api.md (the contract):
#  (a) openapi-spec-validator (PyPI, pinned below) validates it. The tool
#      lives in a venv under ~/.cache/sluice/venv-openapi, installed with pip
#      on first use; when it cannot be installed the test fails and says why.
#  (b) every `METHOD /path` written in docs/api.md (its tables and its prose)
#      is an operation of openapi.yaml, and every operation of openapi.yaml is
#      written in docs/api.md (python3 standard library only).
# Usage: test_openapi.sh BUILD_DIR SOURCE_DIR
set -u
src=${2:?source dir}
spec="$src/docs/api/openapi.yaml"
doc="$src/docs/api.md"
validator_version=0.9.0
venv="${SLUICE_OPENAPI_VENV:-$HOME/.cache/sluice/venv-openapi}"
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

[ -f "$spec" ] || { echo "FAIL: $spec does not exist" >&2; exit 1; }

# --- (a) the validator ------------------------------------------------------
# Installed at most once at a time: the normal and the sanitizer build run
# their suites in parallel and share the venv.
installed_version() {
    "$venv/bin/python" -c \
        "import importlib.metadata as m; print(m.version('openapi-spec-validator'))" 2>/dev/null
}
install_validator() {
    mkdir -p "$(dirname "$venv")" || return 1
    (
        flock 9
        [ "$(installed_version)" = "$validator_version" ] && exit 0
        echo "installing openapi-spec-validator==$validator_version into $venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" ||
            { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "openapi-spec-validator==$validator_version" ||
            { echo "pip could not install openapi-spec-validator==$validator_version from PyPI" >&2
              exit 1; }
    ) 9>"$venv.lock"
}
if [ "$(installed_version)" != "$validator_version" ]; then
    install_validator || fail "no OpenAPI validator: could not install openapi-spec-validator==$validator_version into $venv (see above)"
fi
if [ "$(installed_version)" = "$validator_version" ]; then
    # On failure the tool prints the whole document after the error: keep it short.
    if ! out=$("$venv/bin/openapi-spec-validator" --schema 3.0 "$spec" 2>&1); then
        fail "openapi-spec-validator $validator_version rejects docs/api/openapi.yaml:"
        printf '%s\n' "$out" | cut -c1-600 | head -20 >&2
    fi
fi

# --- (b) docs/api.md and openapi.yaml name the same endpoints ---------------
if ! python3 - "$doc" "$spec" <<'PY'; then
import re
import sys

doc_path, spec_path = sys.argv[1], sys.argv[2]
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")

# docs/api.md: every code span `METHOD /path` (table cells and prose; a query
# string such as ?purge=true is not part of the path).
doc_ops = set()
with open(doc_path, encoding="utf-8") as f:
    for span in re.findall(r"`([^`\n]+)`", f.read()):
        m = re.fullmatch(r"(%s) (/[^\s?]*)(\?\S*)?" % "|".join(METHODS), span.strip())
        if m:
            doc_ops.add((m.group(1), m.group(2)))

# openapi.yaml without a YAML library: the keys of the top-level `paths:`
# mapping are at indent 2, the operations at indent 4. A path with no
# operation means the indentation is not what this reader expects.
spec_ops = set()
problems = []
in_paths = False
path = None
path_ops = {}
with open(spec_path, encoding="utf-8") as f:
    for lineno, line in enumerate(f, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_paths = line.rstrip() == "paths:"
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (['\"]?)(/[^'\"]*)\1:\s*$", line)
        if m:
            path = m.group(2)
            if path in path_ops:
                problems.append("line %d: path %s twice" % (lineno, path))
            path_ops[path] = 0
            continue
        m = re.match(r"^    (get|put|post|delete|patch|head|options|trace):\s*$", line)
        if m and path:
            spec_ops.add((m.group(1).upper(), path))
            path_ops[path] += 1
for p, n in path_ops.items():
    if n == 0:
        problems.append("path %s has no operation (indentation?)" % p)

if len(doc_ops) < 20:
    problems.append("found only %d endpoints in docs/api.md; has its format changed?" % len(doc_ops))
for method, p in sorted(doc_ops - spec_ops, key=lambda o: (o[1], o[0])):
    problems.append("docs/api.md has %s %s, openapi.yaml does not" % (method, p))
for method, p in sorted(spec_ops - doc_ops, key=lambda o: (o[1], o[0])):
    problems.append("openapi.yaml has %s %s, docs/api.md does not" % (method, p))
for p in problems:
    print("FAIL: " + p, file=sys.stderr)
if problems:
    sys.exit(1)
print("%d endpoints in docs/api.md and openapi.yaml" % len(doc_ops))
PY
    fail "docs/api.md and docs/api/openapi.yaml name different endpoints"
fi

if [ $failures -ne 0 ]; then
    echo "openapi: 0 passed, $failures failed" >&2
    exit 1
fi
echo "openapi: 2 passed, 0 failed"

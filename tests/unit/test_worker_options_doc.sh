#!/usr/bin/env bash
# The options table of docs/worker.md is generated from the worker's option
# table (`sluice-worker --help-markdown`): fail when the two drift apart.
set -euo pipefail
build=${1:?build dir}
src=${2:?source dir}
gen=$("$build/bin/sluice-worker" --help-markdown)
doc=$(sed -n '/<!-- options-table/,/<!-- \/options-table -->/p' "$src/docs/worker.md" | sed '1d;$d')
if [ "$gen" != "$doc" ]; then
    echo "docs/worker.md options table is out of date; regenerate it with:" >&2
    echo "  build/bin/sluice-worker --help-markdown" >&2
    diff <(echo "$gen") <(echo "$doc") >&2 || true
    exit 1
fi
# And --help lists every option too.
"$build/bin/sluice-worker" --help | grep -q -- "--commit-interval-ms" || { echo "--help lacks options" >&2; exit 1; }
echo "worker options doc: in sync"

#!/usr/bin/env bash
# test_examples — runs `sluicectl run` on every docs/examples/<name>/ (pipeline.json,
# input.jsonl) and diffs the output with expected.jsonl, so the documented
# examples cannot drift; validates every step example of docs/pipeline-spec.md;
# then checks the exit statuses: 2 for an invalid spec
# (error on stderr, nothing on stdout) and 1 for an input line that is not an
# envelope (its line number on stderr, the other lines still processed).
# Usage: test_examples.sh BUILD_DIR SOURCE_DIR
set -u
build=${1:?build dir}
src=${2:?source dir}
ctl="$build/bin/sluicectl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

count=0
for dir in "$src"/docs/examples/*/; do
    name=$(basename "$dir")
    [ -f "$dir/pipeline.json" ] || continue
    count=$((count + 1))
    "$ctl" run -f "$dir/pipeline.json" -i "$dir/input.jsonl" -o "$tmp/$name.out" 2>"$tmp/$name.err"
    status=$?
    if [ $status -ne 0 ]; then
        fail "$name: exit status $status"; cat "$tmp/$name.err" >&2
    fi
    if ! diff -u "$dir/expected.jsonl" "$tmp/$name.out"; then
        fail "$name: output differs from expected.jsonl"
    fi
    # stdin/stdout gives the same bytes
    "$ctl" run -f "$dir/pipeline.json" <"$dir/input.jsonl" >"$tmp/$name.stdout" 2>/dev/null
    cmp -s "$tmp/$name.out" "$tmp/$name.stdout" || fail "$name: stdin/stdout run differs"
    # a tiny batch (arena reset after every line) gives the same bytes
    "$ctl" run --batch 1 -f "$dir/pipeline.json" -i "$dir/input.jsonl" >"$tmp/$name.b1" 2>/dev/null
    cmp -s "$tmp/$name.out" "$tmp/$name.b1" || fail "$name: --batch 1 output differs"
done
[ $count -ge 4 ] || fail "expected at least 4 examples, found $count"

# Every step example of docs/pipeline-spec.md (a code line starting with
# {"op": or an inline `{"op": ...}`) is a valid one-step pipeline.
docsteps=0
while IFS= read -r step; do
    docsteps=$((docsteps + 1))
    printf '{"name":"doc","input":{"topic":"in"},"steps":[%s]}\n' "$step" >"$tmp/doc.json"
    "$ctl" run -f "$tmp/doc.json" </dev/null >/dev/null 2>"$tmp/doc.err" ||
        { fail "docs/pipeline-spec.md step example is invalid: $step"; cat "$tmp/doc.err" >&2; }
done < <(grep -oE '^\{"op": .*\}$|`\{"op": [^`]*`' "$src/docs/pipeline-spec.md" | tr -d '`')
[ $docsteps -ge 20 ] || fail "found only $docsteps step examples in docs/pipeline-spec.md"

# An invalid spec: exit 2, the error with its place on stderr, nothing on stdout.
cat >"$tmp/bad.json" <<'SPEC'
{"name": "bad", "input": {"topic": "in"},
 "steps": [{"op": "assign", "columns": {"kmh": "speed * * 3.6"}}, {"op": "filtr", "where": "x"}]}
SPEC
echo '{"key":"k","value":{},"timestamp":1}' >"$tmp/one.jsonl"
"$ctl" run -f "$tmp/bad.json" -i "$tmp/one.jsonl" >"$tmp/bad.out" 2>"$tmp/bad.err"
status=$?
[ $status -eq 2 ] || fail "invalid spec: exit status $status, want 2"
[ ! -s "$tmp/bad.out" ] || fail "invalid spec: something was written to stdout"
grep -q 'steps\[0\].columns.kmh: .*(at position 8)' "$tmp/bad.err" ||
    { fail "invalid spec: no expression error with position on stderr"; cat "$tmp/bad.err" >&2; }
grep -q "steps\[1\].op: unknown op 'filtr'; did you mean 'filter'?" "$tmp/bad.err" ||
    { fail "invalid spec: no op suggestion on stderr"; cat "$tmp/bad.err" >&2; }
"$ctl" run -f "$tmp/missing.json" </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || fail "missing spec file: want exit 2"
"$ctl" run </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || fail "no -f: want exit 2"

# Bad envelope lines: named on stderr with their line numbers, run continues, exit 1.
spec="$src/docs/examples/speeding/pipeline.json"
cat >"$tmp/mixed.jsonl" <<'IN'
{"key": "a", "value": {"device_id": "a", "ts": 1, "speed": 50}, "timestamp": 1}
this is not json
{"key": 5, "value": {}, "timestamp": 1}

{"key": "b", "value": {"device_id": "b", "ts": 2, "speed": 60}, "timestamp": 2}
{"key": "c", "value": {}, "timestamp": "noon"}
{"key": "c", "valeu": {}, "timestamp": 3}
{"key": "d", "value": {}, "timestamp": 4, "partition": -1}
{"key": "e", "value": {}, "timestamp": 5, "headers": {"h": 1}}
[1, 2]
IN
"$ctl" run -f "$spec" -i "$tmp/mixed.jsonl" >"$tmp/mixed.out" 2>"$tmp/mixed.err"
status=$?
[ $status -eq 1 ] || fail "bad envelope: exit status $status, want 1"
for n in 2 3 6 7 8 9 10; do
    grep -q "line $n: invalid envelope" "$tmp/mixed.err" || fail "bad envelope: line $n not reported"
done
grep -q "line 7: invalid envelope: unknown field 'valeu'; did you mean 'value'?" "$tmp/mixed.err" ||
    fail "bad envelope: no suggestion for 'valeu'"
grep -q "line 8: invalid envelope: 'partition' must be an int in 0..65535" "$tmp/mixed.err" ||
    fail "bad envelope: partition message"
grep -q "line 9: invalid envelope: header 'h' must be a string" "$tmp/mixed.err" ||
    fail "bad envelope: header message"
grep -q "line [145]:" "$tmp/mixed.err" && fail "bad envelope: a good or blank line was reported"
[ "$(wc -l <"$tmp/mixed.out")" -eq 2 ] || fail "bad envelope: the good lines were not all processed"
[ "$(grep -c '"topic":"speeding-alerts"' "$tmp/mixed.out")" -eq 2 ] || fail "bad envelope: outputs"

# --stats: the counters on stderr
"$ctl" run --stats -f "$src/docs/examples/dead-letter/pipeline.json" \
    -i "$src/docs/examples/dead-letter/input.jsonl" >/dev/null 2>"$tmp/stats.err"
grep -q "in=4 out=1 dropped=1 errors=2 dead_lettered=2 skipped=0" "$tmp/stats.err" ||
    { fail "--stats: counters"; cat "$tmp/stats.err" >&2; }

# A stateful pipeline: state in a temporary directory under $TMPDIR, removed
# at exit; --stats adds the late counter.
mkdir -p "$tmp/state-tmp"
TMPDIR="$tmp/state-tmp" "$ctl" run --stats -f "$src/docs/examples/speeding-window/pipeline.json" \
    -i "$src/docs/examples/speeding-window/input.jsonl" >/dev/null 2>"$tmp/win.err" ||
    { fail "speeding-window with TMPDIR: exit status"; cat "$tmp/win.err" >&2; }
grep -q "in=11 out=3 dropped=2 errors=0 dead_lettered=0 skipped=0 late=1" "$tmp/win.err" ||
    { fail "--stats of a window pipeline: counters"; cat "$tmp/win.err" >&2; }
[ -z "$(ls -A "$tmp/state-tmp")" ] || fail "the state directory was not removed"

# value_format string: the envelope's value must be a string (or null).
printf '%s\n' '{"key":"a","value":{"x":1},"timestamp":1}' '{"key":"a","value":"ERROR x","timestamp":2}' |
    "$ctl" run -f "$src/docs/examples/log-errors/pipeline.json" >"$tmp/str.out" 2>"$tmp/str.err"
status=$?
[ $status -eq 1 ] || fail "string envelope: exit status $status, want 1"
grep -q "line 1: invalid envelope: 'value' must be a string for value_format 'string'" "$tmp/str.err" ||
    fail "string envelope: message"
[ "$(wc -l <"$tmp/str.out")" -eq 2 ] || fail "string envelope: line 2 not processed"

# on_error fail: exit 1, the error on stderr, output up to the failing line kept.
cat >"$tmp/fail.json" <<'SPEC'
{"name": "f", "input": {"topic": "in"}, "on_error": "fail",
 "steps": [{"op": "assign", "columns": {"kmh": "speed * 3.6"}}, {"op": "to_topic", "topic": "out"}]}
SPEC
printf '%s\n' '{"key":"a","value":{"speed":1},"timestamp":1}' \
    '{"key":"b","value":{"speed":"x"},"timestamp":2}' \
    '{"key":"c","value":{"speed":3},"timestamp":3}' >"$tmp/fail.jsonl"
"$ctl" run -f "$tmp/fail.json" -i "$tmp/fail.jsonl" >"$tmp/fail.out" 2>"$tmp/fail.err"
status=$?
[ $status -eq 1 ] || fail "on_error fail: exit status $status, want 1"
grep -q "line 2: pipeline stopped: steps\[0\].columns.kmh: " "$tmp/fail.err" || fail "on_error fail: stderr"
[ "$(wc -l <"$tmp/fail.out")" -eq 1 ] || fail "on_error fail: want exactly the first output"

if [ $failures -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "ok: $count examples, $docsteps documented steps, exit statuses"

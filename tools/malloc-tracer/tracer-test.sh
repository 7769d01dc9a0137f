#!/usr/bin/env bash
# Checks tools/malloc-tracer: traces tracer-test.c's known calls and compares the recorded
# lines with the expected ones (IDs relative to the start marker's). Usage: tracer-test.sh TRACER_SO WORK
set -eu
tracer=$(realpath "$1")
work=$(realpath -m "$2")
here=$(realpath "$(dirname "$0")")
mkdir -p "$work"
rm -f "$work"/run.*.trace
${CC:-gcc} -O0 -o "$work/tracer-test" "$here/tracer-test.c"
SWIFTMM_TRACE="$work/run" LD_PRELOAD="$tracer" "$work/tracer-test"
trace=$(ls "$work"/run.*.trace)
# The lines from the start marker to the end marker, IDs renumbered from the marker's (s+N).
actual=$(awk '$1 == "m" && $3 == 1000001 { on = 1; base = $2 }
  on { line = $1; for (i = 2; i <= NF; i++) line = line " " (i == 2 ? "s+" ($i - base) : $i); print line }
  $1 == "m" && $3 == 1000002 { exit }' "$trace")
# realloc(p, 0) returns NULL in glibc: the block is freed, recorded as `f`.
expected="m s+0 1000001
m s+1 100
c s+2 3 8
r s+1 200
a s+3 64 40
a s+4 4096 8192
m s+5 24
m s+6 50
f s+2
m s+2 7
m s+7 30
f s+7
f s+1
f s+3
f s+4
f s+5
f s+6
f s+2
f s+0
m s+0 1000002"
if [ "$actual" = "$expected" ]; then
    echo "tracer-test ok: $(grep -vc '^#' "$trace") operations recorded, the test program's $(echo "$expected" | wc -l) as expected"
else
    echo "tracer-test FAIL: recorded lines differ from the expected ones"
    diff <(echo "$expected") <(echo "$actual") || true
    exit 1
fi

#!/usr/bin/env bash
# libswiftmm.so's own tests: the C API contract (also under glibc, as a check of the test), threads
# with remote frees, fork while other threads allocate, every kind of misuse (one stderr line
# naming the error, the call and the pointer, then SIGABRT), and SWIFTMM_STATS.
# Usage: run-tests.sh LIBSWIFTMM.so WORKDIR. Ends with "N passed, N failed"; exit 1 on a failure.
set -u
lib=$(realpath "$1")
work=$2
here=$(dirname "$0")
mkdir -p "$work"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "libswiftmm-test ok   $1"; }
fail() { failed=$((failed + 1)); echo "libswiftmm-test FAIL $1: $2"; }

for program in api threads fork misuse; do
  cc -O2 -Wall -Werror -Wno-use-after-free -Wno-free-nonheap-object -pthread -o "$work/$program" "$here/$program.c" || { echo "cannot build $program"; exit 1; }
done

# The library exports the C allocation API and nothing else.
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort | tr '\n' ' ')
expected="aligned_alloc calloc free malloc malloc_trim malloc_usable_size memalign posix_memalign pvalloc realloc reallocarray valloc "
[ "$exported" = "$expected" ] && pass exports || fail exports "exports '$exported'"

# API contract: under ours, and under glibc (the test itself must be right).
out=$(LD_PRELOAD=$lib "$work/api" 2>&1) && pass "api swiftmm (${out##*api: })" || fail "api swiftmm" "$out"
out=$("$work/api" 2>&1) && pass "api glibc" || fail "api glibc" "$out"

out=$(LD_PRELOAD=$lib timeout 120 "$work/threads" 4 100000 2>&1) && pass "threads ($out)" || fail threads "$out"
out=$(LD_PRELOAD=$lib timeout 120 "$work/fork" 100 2>&1) && pass "fork ($out)" || fail fork "$out"

# Misuse: kind of misuse, expected kind= and call= in the report.
while read -r mode kind call; do
  # (in a child shell, so that bash's own "Aborted" notice stays out of the log)
  bash -c 'LD_PRELOAD=$0 "$1" "$2" >"$3" 2>"$4"; exit $?' "$lib" "$work/misuse" "$mode" \
    "$work/misuse.out" "$work/misuse.err" 2>/dev/null
  status=$?
  pointer=$(sed -n 's/^pointer=//p' "$work/misuse.out")
  report=$(grep '^libswiftmm: error ' "$work/misuse.err")
  reported=$(sed -n 's/.* ptr=\(0x[0-9a-f]*\) .*/\1/p' <<<"$report")
  if [ "$status" -ne 134 ]; then
    fail "misuse $mode" "exit status $status, expected 134 (SIGABRT); stderr: $(cat "$work/misuse.err")"
  elif [ "$(wc -l <"$work/misuse.err")" -ne 1 ] || [[ "$report" != "libswiftmm: error kind=$kind call=$call ptr="* ]]; then
    fail "misuse $mode" "stderr: $(cat "$work/misuse.err")"
  elif [ -z "$pointer" ] || [ $((reported)) -ne $((pointer)) ]; then
    fail "misuse $mode" "reported ptr=$reported, program's pointer=$pointer"
  else
    pass "misuse $mode ($report)"
  fi
done <<'CASES'
double-free double-free free
double-free-medium double-free free
foreign-free foreign-pointer free
interior-free interior-pointer free
foreign-realloc foreign-pointer realloc
foreign-usable-size foreign-pointer malloc_usable_size
CASES

# SWIFTMM_STATS=1: one line on stderr at exit, heap consistent, nothing live that the program freed.
err=$(SWIFTMM_STATS=1 LD_PRELOAD=$lib "$work/api" 2>&1 >/dev/null)
if [[ "$err" == "libswiftmm: stats pid="*" invariants=ok "*"malloc_calls="* ]] && [ "$(wc -l <<<"$err")" -eq 1 ]; then
  pass "stats stderr"
else
  fail "stats stderr" "$err"
fi
# SWIFTMM_STATS=/file: one line per process appended (fork children included), none on stderr.
rm -f "$work/stats.log"
err=$(SWIFTMM_STATS="$(realpath "$work")/stats.log" LD_PRELOAD=$lib "$work/fork" 5 2>&1 >/dev/null)
lines=$(grep -c 'invariants=ok' "$work/stats.log" 2>/dev/null)
[ -z "$err" ] && [ "$lines" = 1 ] && pass "stats file (children end with _exit: 1 line)" || fail "stats file" "lines=$lines err=$err"
# Without the variable: silent.
err=$(LD_PRELOAD=$lib "$work/api" 2>&1 >/dev/null)
[ -z "$err" ] && pass "stats off" || fail "stats off" "$err"

echo "libswiftmm tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

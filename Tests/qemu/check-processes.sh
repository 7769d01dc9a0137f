#!/usr/bin/env bash
# Issue 8's process checks on a log of concurrent programs (Tests/qemu/run-all.sh):
#   - the programs ran at once: `processes_concurrent_peak=` in the summary is above 1;
#   - every process that started ended (one `proc end` per `proc start` pid), every end line says
#     frames=all-returned, and the `proc all-ended` line says the frames came back;
#   - every orphan (`proc orphaned pid=N`: its parent ended first) still ended cleanly;
#   - when spawn_kill ran, at least one of its children was orphaned (a killed parent's children).
# Usage: check-processes.sh LOGFILE
set -u
log=$(tr -d '\r' <"$1")
failures=0
fail() { echo "FAIL processes: $1"; failures=$((failures + 1)); }
peak=$(sed -n 's/^summary .* processes_concurrent_peak=\([0-9]*\).*/\1/p' <<<"$log")
[ -n "$peak" ] && [ "$peak" -gt 1 ] || fail "processes_concurrent_peak=${peak:-missing} (programs did not run at once)"
starts=$(grep -E '^info +proc +start ' <<<"$log" | sed -n 's/.* pid=\([0-9]*\).*/\1/p' | sort -n)
ends=$(grep -E '^(info |error) *proc +end ' <<<"$log" | sed -n 's/.* pid=\([0-9]*\).*/\1/p' | sort -n)
[ "$starts" = "$ends" ] || fail "started and ended pids differ: $(comm -3 <(echo "$starts") <(echo "$ends") | tr '\n\t' '  ')"
grep -E '^(info |error) *proc +end ' <<<"$log" | grep -qv 'frames=all-returned' && fail "a process did not return all its frames"
grep -qE '^info +proc +all-ended .* frames=all-returned' <<<"$log" || fail "no proc all-ended line with frames=all-returned"
orphans=$(grep -E '^info +proc +orphaned ' <<<"$log" | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
for pid in $orphans; do
  grep -qE "^info +proc +end .* pid=$pid .*frames=all-returned" <<<"$log" || fail "orphan pid=$pid did not end cleanly"
done
if grep -qE '^info +proc +start .* prog=spawn_kill ' <<<"$log"; then
  kill_pid=$(grep -E '^info +proc +start .* prog=spawn_kill ' <<<"$log" | sed -n 's/.* pid=\([0-9]*\).*/\1/p' | head -1)
  grep -qE "^info +proc +orphaned .* parent_ended=$kill_pid( |$)" <<<"$log" || fail "spawn_kill's children were not orphaned"
fi
[ "$failures" -eq 0 ] && echo "ok   processes: concurrent_peak=$peak, every start ended with its frames, $(wc -w <<<"$orphans") orphans ended cleanly"
[ "$failures" -eq 0 ]

#!/usr/bin/env bash
# Checks the ladder program's outcome in a kernel log: every rung printed one line with a median
# (cycles_median=N, ratio_vs_stack=X), the demand-paged rung is measured or says why it is
# skipped, and the program ended with `ladder ok`. No timing is asserted: the figures are for
# reading (docs/allocators.md), the check is that the table is whole.
# Usage: check-ladder.sh LOGFILE
set -u
logfile=$1
rungs="stack arena pool malloc_small malloc_large_cached malloc_large_kernel map_unmap"
# The program's console lines, without the kernel's columns (everything up to ` | `).
lines=$(tr -d '\r' <"$logfile" | grep -E 'prog=ladder \| ladder ' | sed 's/.* | //')
failures=0
for rung in $rungs; do
  line=$(grep -E "^ladder rung=$rung " <<<"$lines" | head -1)
  if [ -z "$line" ]; then
    echo "FAIL ladder: rung $rung missing"; failures=$((failures + 1))
  elif ! grep -qE ' cycles_median=[0-9]+( |$)' <<<"$line" || ! grep -qE ' ratio_vs_stack=[0-9]+\.[0-9]+( |$)' <<<"$line"; then
    echo "FAIL ladder: rung $rung has no median or ratio: $line"; failures=$((failures + 1))
  fi
done
demand=$(grep -E '^ladder rung=map_unmap_demand ' <<<"$lines" | head -1)
if ! grep -qE ' cycles_median=[0-9]+( |$)| status=skipped reason=[^ ]+' <<<"$demand"; then
  echo "FAIL ladder: rung map_unmap_demand neither measured nor skipped with a reason"; failures=$((failures + 1))
fi
if ! grep -qE '^ladder ok( |$)' <<<"$lines"; then
  echo "FAIL ladder: no 'ladder ok' line (the program failed or did not run)"; failures=$((failures + 1))
fi
if [ "$failures" -eq 0 ]; then
  echo "ok   ladder: $(grep -c '^ladder rung=' <<<"$lines") rungs"
  grep -E '^ladder rung=' <<<"$lines" | sed 's/^/     /'
fi
[ "$failures" -eq 0 ]

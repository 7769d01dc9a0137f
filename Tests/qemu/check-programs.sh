#!/usr/bin/env bash
# Checks how each user program ended against User/Programs/expectations.txt.
# Usage: check-programs.sh LOGFILE EXPECTATIONS PROGRAM...
# An expectation line is `NAME exit=CODE`, `NAME killed=FAULT` (e.g. killed=page-fault) or
# `NAME rejected=REASON` (the loader refused it: `proc rejected ... reason=REASON`, then
# `status=not-started`); the kernel logs `proc end ... prog=NAME status=exited code=CODE` or
# `status=killed fault=FAULT`, and every end line must say frames=all-returned. FAULT must be one of the names in docs/syscalls.md's
# fault table (the list in Sources/KernelLog/FaultName.swift; swift test checks the table against
# it): a misspelt expectation or a kernel name outside the list fails.
set -u
logfile=$1 expectations=$2
shift 2
failures=0
docs=$(dirname "$0")/../../docs/syscalls.md
fault_names=" $(sed -n '/<!-- fault-names:begin -->/,/<!-- fault-names:end -->/p' "$docs" | sed -n 's/^| `\([a-z0-9-]*\)` |.*/\1/p' | tr '\n' ' ')"
[ "$(wc -w <<<"$fault_names")" -gt 20 ] || { echo "FAIL: no fault-name table in $docs"; exit 1; }
for program in "$@"; do
  name=$(basename "$program" .elf)
  want=$(awk -v n="$name" '$1 == n { print $2 }' "$expectations")
  line=$(tr -d '\r' <"$logfile" | grep -E "^(info |error) *proc +end .* prog=$name( |$)" | head -1)
  if [ -z "$want" ]; then echo "FAIL $name: no expectation in $expectations"; failures=$((failures + 1)); continue; fi
  if [ -z "$line" ]; then echo "FAIL $name: never ended"; failures=$((failures + 1)); continue; fi
  case $want in
    exit=*) got=$(sed -n 's/.* status=exited code=\([0-9]*\).*/exit=\1/p' <<<"$line") ;;
    killed=*) got=$(sed -n 's/.* status=killed fault=\([^ ]*\).*/killed=\1/p' <<<"$line") ;;
    rejected=*) grep -q ' status=not-started ' <<<"$line" && got=$(tr -d '\r' <"$logfile" | \
                  sed -n "s/^warn  proc   rejected .* prog=$name reason=\([^ ]*\).*/rejected=\1/p" | head -1) ;;
  esac
  if [ "${want#killed=}" != "$want" ] && [[ "$fault_names" != *" ${want#killed=} "* ]]; then
    echo "FAIL $name: $want is not a fault name in $docs"; failures=$((failures + 1))
  elif [ "$got" != "$want" ]; then
    echo "FAIL $name: expected $want, got ${got:-"$line"}"; failures=$((failures + 1))
  elif ! grep -q 'frames=all-returned' <<<"$line"; then
    echo "FAIL $name: frames not all returned"; failures=$((failures + 1))
  else
    echo "ok   $name $want"
  fi
done
[ "$failures" -eq 0 ]

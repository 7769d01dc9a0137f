#!/usr/bin/env bash
# Checks how each user program ended against User/Programs/expectations.txt.
# Usage: check-programs.sh LOGFILE EXPECTATIONS PROGRAM...
# An expectation line is `NAME exit=CODE` or `NAME killed=FAULT` (e.g. killed=page-fault); the
# kernel logs `proc end ... prog=NAME status=exited code=CODE` or `status=killed fault=FAULT`, and
# every end line must say frames=all-returned.
set -u
logfile=$1 expectations=$2
shift 2
failures=0
for program in "$@"; do
  name=$(basename "$program" .elf)
  want=$(awk -v n="$name" '$1 == n { print $2 }' "$expectations")
  line=$(tr -d '\r' <"$logfile" | grep -E "^(info |error) *proc +end .* prog=$name( |$)" | head -1)
  if [ -z "$want" ]; then echo "FAIL $name: no expectation in $expectations"; failures=$((failures + 1)); continue; fi
  if [ -z "$line" ]; then echo "FAIL $name: never ended"; failures=$((failures + 1)); continue; fi
  case $want in
    exit=*) got=$(sed -n 's/.* status=exited code=\([0-9]*\).*/exit=\1/p' <<<"$line") ;;
    killed=*) got=$(sed -n 's/.* status=killed fault=\([^ ]*\).*/killed=\1/p' <<<"$line") ;;
  esac
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: expected $want, got ${got:-"$line"}"; failures=$((failures + 1))
  elif ! grep -q 'frames=all-returned' <<<"$line"; then
    echo "FAIL $name: frames not all returned"; failures=$((failures + 1))
  else
    echo "ok   $name $want"
  fi
done
[ "$failures" -eq 0 ]

#!/usr/bin/env bash
# Checks the one `summary ` line a kernel boot printed.
# Usage: check-summary.sh LOGFILE MEM_BYTES [firmware]
# Passes when: exactly one summary line; result=pass; frames_total is consistent with the memory
# size (at least 80 % of it is managed, and never more than it); frames_free_exit equals
# frames_free_boot (the demo returned everything); the heap detected exactly the errors the demo
# provoked and gave every arena back.
# With `firmware` (boots through real firmware: SeaBIOS, OVMF), the firmware keeps RAM for itself
# (OVMF: several MiB at 128M), so frames_total is checked against the usable RAM the firmware
# reported, from the `pmm map-raw` lines the kernel logged: that total is at most MEM_BYTES,
# frames_total never exceeds it, and the kernel keeps at most 5 % of it for itself (image, boot
# modules, allocator metadata). The -kernel boots keep the 80 %-of-RAM rule unchanged.
set -u
logfile=$1 mem_bytes=$2 reference=${3:-ram}
count=$(grep -c '^summary ' "$logfile")
if [ "$count" -ne 1 ]; then echo "expected exactly one summary line, found $count in $logfile"; exit 1; fi
line=$(grep '^summary ' "$logfile" | tr -d '\r')
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
fail() { echo "summary check failed: $1"; echo "  $line"; exit 1; }
[ "$(field result)" = pass ] || fail "result is not pass"
total=$(field frames_total) boot=$(field frames_free_boot) exit_free=$(field frames_free_exit)
[ -n "$total" ] && [ -n "$boot" ] && [ -n "$exit_free" ] || fail "frame fields missing"
mem_frames=$((mem_bytes / 4096))
[ "$total" -le "$mem_frames" ] || fail "frames_total=$total exceeds the $mem_frames frames of RAM"
if [ "$reference" = firmware ]; then
  # Whole frames of each usable entry the firmware reported, summed.
  usable_frames=0
  while read -r base end; do
    first=$(( (base + 4095) / 4096 )) last=$(( end / 4096 ))
    [ "$last" -gt "$first" ] && usable_frames=$((usable_frames + last - first))
  done < <(tr -d '\r' <"$logfile" | grep -E '^[a-z]+ +pmm +map-raw .* type=usable( |$)' |
           sed -n 's/.* base=\(0x[0-9a-f]*\) end=\(0x[0-9a-f]*\) .*/\1 \2/p')
  [ "$usable_frames" -gt 0 ] || fail "no usable map-raw lines in $logfile"
  [ "$usable_frames" -le "$mem_frames" ] || fail "the firmware reported $usable_frames usable frames, more than the $mem_frames of RAM"
  [ "$total" -le "$usable_frames" ] || fail "frames_total=$total exceeds the $usable_frames usable frames the firmware reported"
  [ $((total * 100)) -ge $((usable_frames * 95)) ] || fail "frames_total=$total is under 95% of the $usable_frames usable frames the firmware reported"
  firmware_note=" firmware_usable=$usable_frames firmware_kept=$((mem_frames - usable_frames))"
else
  [ $((total * 100)) -ge $((mem_frames * 80)) ] || fail "frames_total=$total is under 80% of $mem_frames frames"
fi
[ "$boot" -le "$total" ] || fail "frames_free_boot exceeds frames_total"
[ "$boot" = "$exit_free" ] || fail "frames_free_exit=$exit_free differs from frames_free_boot=$boot"
live=$(field heap_live_bytes) errors=$(field heap_errors) expected=$(field heap_errors_expected)
[ -n "$live" ] || fail "heap fields missing"
[ "$errors" = "${expected:-0}" ] || fail "heap_errors=$errors but the kernel provoked ${expected:-0} on purpose"
[ "$(field heap_arenas)" = 0 ] || fail "heap_arenas=$(field heap_arenas) after shutdown: arenas not returned"
echo "ok   summary mem=$((mem_bytes >> 20))MiB frames_total=$total frames_free=$boot${live:+ heap_live_bytes=$live}${firmware_note:-}"

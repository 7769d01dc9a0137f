#!/usr/bin/env bash
# The ISO half of `make test`: build/swiftmm.iso boots through its GRUB menu's default entry
# (multiboot2, the default programs, log=info) once with SeaBIOS at 128M and once with OVMF at 6G
# (where the PCI hole splits RAM around 4 GiB), each summary checked against the usable RAM the
# firmware reported (check-summary.sh firmware) and each program's outcome against
# User/Programs/expectations.txt.
# Usage: run-iso.sh ISO LOGDIR "DEFAULT_PROGRAM_NAMES"
set -u
iso=$1 logdir=$2 programs=${3:-}
here=$(dirname "$0")
mkdir -p "$logdir"
failures=0
for boot in bios:128M uefi:6G; do
  firmware=${boot%%:*} mem=${boot#*:}
  case $mem in *M) bytes=$(( ${mem%M} << 20 ));; *G) bytes=$(( ${mem%G} << 30 ));; esac
  log=$logdir/iso-$firmware-$mem.log
  echo "== ISO boot, $firmware, MEM=$mem"
  start=$(date +%s%N)
  if BOOT_FIRMWARE=$firmware "$here/boot-kernel.sh" "$iso" "$mem" "$log" && \
     tr -d '\r' <"$log" | grep -E '^info +boot +loader ' | grep -q 'protocol=multiboot2 name=GRUB' && \
     "$here/check-summary.sh" "$log" "$bytes" firmware && \
     "$here/check-programs.sh" "$log" User/Programs/expectations.txt $programs; then
    echo "     QEMU start to summary: $(( ($(date +%s%N) - start) / 1000000 )) ms (GRUB menu wait included)"
  else
    tr -d '\r' <"$log" | grep -aE '^(info|warn|error|summary|panic)' | tail -30
    echo "FAIL ISO boot $firmware MEM=$mem (log: $log)"; failures=$((failures + 1))
  fi
done
echo "iso: $((2 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

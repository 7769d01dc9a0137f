#!/usr/bin/env bash
# Times an ISO boot as it happens: milliseconds from QEMU's start to GRUB's menu, to the kernel's
# first log line and to the summary line (the serial output is read unbuffered, line by line).
# Usage: Tests/qemu/boot-timeline.sh bios|uefi MEM [ISO]    (run from the project root)
# Prints: grub_menu_ms=... kernel_first_line_ms=... summary_ms=...
set -u
firmware=$1 mem=$2 iso=${3:-build/swiftmm.iso}
case $firmware in
  uefi) read -ra flags <<<"$(boot/grub/ovmf-flags.sh build/timeline-vars.fd)" || exit 1; flags+=(-cdrom "$iso") ;;
  *) flags=(-cdrom "$iso" -boot d) ;;
esac
start=$(date +%s%N)
timeout --foreground "${QEMU_TIMEOUT:-300}" qemu-system-x86_64 -m "$mem" -serial stdio -display none -no-reboot \
  -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${flags[@]}" </dev/null 2>&1 |
  stdbuf -o0 tr '\r\033' '\n\n' | {
    grub=""
    while IFS= read -r line; do
      now=$(( ($(date +%s%N) - start) / 1000000 ))
      case $line in
        *"GNU GRUB"*) [ -z "$grub" ] && grub=$now && printf 'grub_menu_ms=%s ' "$now" ;;
        *"boot   start"*) printf 'kernel_first_line_ms=%s ' "$now" ;;
        summary*) printf 'summary_ms=%s\n' "$now" ;;
      esac
    done
  }

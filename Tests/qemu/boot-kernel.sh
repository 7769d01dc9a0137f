#!/usr/bin/env bash
# Boots a kernel image in QEMU with a timeout and saves its serial output.
# Usage: boot-kernel.sh IMAGE MEM LOGFILE [extra kernel command-line words]
# An IMAGE ending in .iso boots from CD through its GRUB menu (the default entry: the words are
# not used) with the firmware BOOT_FIRMWARE names: bios (SeaBIOS, the default) or uefi (OVMF).
# Exit status: 0 when the kernel exited through isa-debug-exit with the pass code (QEMU status
# 33); 1 for the fail code (35), another status, or a timeout (a hang counts as a failure).
set -u
image=$1 mem=$2 logfile=$3
shift 3
timeout_seconds=${QEMU_TIMEOUT:-300}
boot_flags=(-kernel "$image" -append "$*")
case $image:${BOOT_FIRMWARE:-bios} in
  *.iso:bios) boot_flags=(-cdrom "$image" -boot d) ;;
  *.iso:uefi) read -ra boot_flags <<<"$("$(dirname "$0")/../../boot/grub/ovmf-flags.sh" "$logfile.vars.fd")" || exit 1
              boot_flags+=(-cdrom "$image") ;;
esac
timeout --foreground "$timeout_seconds" qemu-system-x86_64 -m "$mem" -serial stdio -display none \
  -no-reboot -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  "${boot_flags[@]}" ${QEMU_EXTRA_FLAGS:-} </dev/null >"$logfile" 2>&1
status=$?
case $status in
  33) exit 0 ;;
  35) echo "kernel reported failure (fail code, QEMU status 35); log: $logfile" ;;
  124) echo "kernel timed out after ${timeout_seconds}s; log: $logfile" ;;
  *) echo "QEMU ended with unexpected status $status; log: $logfile" ;;
esac
exit 1

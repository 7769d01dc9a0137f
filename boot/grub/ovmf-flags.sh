#!/usr/bin/env bash
# Prints the QEMU flags that boot with UEFI firmware (OVMF, Debian package `ovmf`): the firmware
# code read-only, and a private writable copy of the variable store at VARS_COPY (made on first
# use, so the system's pristine template is never written).
# Usage: ovmf-flags.sh VARS_COPY
# Debian 12 ships OVMF_CODE_4M.fd/OVMF_VARS_4M.fd (and the older 2 MiB OVMF_CODE.fd/OVMF_VARS.fd);
# later releases ship only the 4 MiB pair. Code and variables must come from the same pair.
set -eu
vars_copy=$1
for suffix in _4M ""; do
  code=/usr/share/OVMF/OVMF_CODE$suffix.fd vars=/usr/share/OVMF/OVMF_VARS$suffix.fd
  if [ -f "$code" ] && [ -f "$vars" ]; then
    if [ ! -f "$vars_copy" ] || [ "$(stat -c %s "$vars_copy")" != "$(stat -c %s "$vars")" ]; then
      mkdir -p "$(dirname "$vars_copy")"
      cp "$vars" "$vars_copy"
    fi
    echo "-drive if=pflash,format=raw,readonly=on,file=$code -drive if=pflash,format=raw,file=$vars_copy"
    exit 0
  fi
done
echo "ovmf-flags.sh: no OVMF_CODE/OVMF_VARS pair in /usr/share/OVMF: install the ovmf package" >&2
exit 1

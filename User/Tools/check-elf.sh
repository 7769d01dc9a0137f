#!/usr/bin/env bash
# check-elf.sh ELF...: checks each SwiftMM user program against what the kernel's loader expects
# (docs/syscalls.md, "Executable format"). Prints one `user-elf` line per file and exits non-zero
# on the first file that breaks a rule:
#   ET_EXEC, ELFCLASS64, EM_X86_64; every PT_LOAD page-aligned, inside user space
#   [0x8000000000, 0x7F8000000000), never W+X, p_offset = p_vaddr (mod 4096); the entry inside
#   an R+X segment; no PT_INTERP / PT_DYNAMIC; no SSE/AVX register in the code (user code runs
#   with the kernel's FPU/SSE policy: x87 only).
set -euo pipefail
READELF=${READELF:-llvm-readelf}
OBJDUMP=${OBJDUMP:-llvm-objdump}
USER_START=$((0x0000008000000000))
USER_END=$((0x00007F8000000000))
status=0
for elf in "$@"; do
    header=$($READELF -h "$elf")
    segments=$($READELF -lW "$elf")
    fail() { echo "user-elf $elf FAILED: $1"; status=1; }
    grep -q 'Type:[[:space:]]*EXEC' <<<"$header" || fail "not ET_EXEC"
    grep -q 'Class:[[:space:]]*ELF64' <<<"$header" || fail "not ELF64"
    grep -q 'Machine:[[:space:]]*Advanced Micro Devices X86-64' <<<"$header" || fail "not x86-64"
    if grep -qE '^\s+(INTERP|DYNAMIC)' <<<"$segments"; then fail "dynamic segments present"; fi
    entry=$(( $(awk '/Entry point address/ {print $4}' <<<"$header") ))
    entry_ok=0; loads=0; summary=""
    while read -r _ offset vaddr _ filesz memsz flags; do
        offset=$((offset)); vaddr=$((vaddr)); memsz=$((memsz)); loads=$((loads + 1))
        end=$((vaddr + memsz))
        (( vaddr % 4096 == 0 )) || fail "segment $vaddr not page-aligned"
        (( (offset - vaddr) % 4096 == 0 )) || fail "segment $vaddr offset not congruent"
        (( vaddr >= USER_START && end <= USER_END )) || fail "segment $vaddr outside user space"
        [[ $flags == *W* && $flags == *E* ]] && fail "segment $vaddr is W+X"
        [[ $flags == *E* ]] && (( entry >= vaddr && entry < end )) && entry_ok=1
        summary+=" $(printf '%#x' $vaddr)+$(printf '%#x' $memsz):${flags}"
    done < <(awk '$1 == "LOAD" { f = $7 ($8 == "0x1000" ? "" : $8); print $1, $2, $3, $4, $5, $6, f }' <<<"$segments")
    (( loads > 0 )) || fail "no PT_LOAD"
    if $OBJDUMP -d "$elf" | grep -qE '%(x|y|z)mm[0-9]'; then fail "SSE/AVX instructions present"; fi
    (( entry_ok == 1 )) || fail "entry $(printf '%#x' $entry) not in an executable segment"
    echo "user-elf $elf entry=$(printf '%#x' $entry) bytes=$(stat -c %s "$elf") segments=$loads$summary"
done
exit $status

#!/usr/bin/env bash
# Issue 12's machine and command-line set-ups, each one short QEMU boot with its log checked:
#   1. a hostile command line: each bad word gets one `warn boot cmdline-ignored` line naming it
#      and the reason, the `boot cmdline` line counts them, the boot passes;
#   2. a CPU without NX (-cpu qemu64,-nx): the `warn cpu no-nx` line, default programs, summary;
#   3. -cpu max: SMEP and SMAP on (`cpu features ... smep=on smap=on`), default programs, summary;
#   4. too little RAM (5M, then the stated need minus 1 MiB): one `error boot not-enough-memory
#      needed=N have=...` line and the fail code (35); then N itself passes with the default
#      programs (today N = 17 MiB);
#   5. the kernel's stack protector: fault=stack-smash overruns a local buffer; the canary check
#      panics naming __stack_chk_fail, fail code;
#   6. from the programs boot's log: stack_jump's store 32 KiB below the stack faulted with
#      cause=stack-guard-gap, and (run-all.sh, cpu_limit_ms=$PROGRAMS_CPU_LIMIT_MS): syscall_hog was killed at
#      its limit (user + kernel time within 10 % + 100 ms of it; each figure is truncated to whole ms,
#      so their sum may read up to 2 ms under it), with most of it kernel time.
# Usage: hardening.sh IMAGE LOGDIR "DEFAULT_PROGRAM_ELFS"; prints one ok/FAIL line per check.
set -u
image=$1 logdir=$2 default_programs=$3
here=$(dirname "$0")
failures=0
initrd() { [ -n "$1" ] && printf -- '-initrd %s' "$(tr ' ' ',' <<<"$1")"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
bytes() { case $1 in *M) echo $(( ${1%M} << 20 ));; *G) echo $(( ${1%G} << 30 ));; esac; }
# The log without carriage returns and without the time field (docs/log-format.md: `t_us=N` right
# after the event column, last on the summary line), so the checks below match the fields they name.
clean() { tr -d '\r' <"$1" | sed -E 's/ t_us=[0-9]+//'; }

echo "== hostile kernel command line"
# Each word with the reason it must be reported with ("-": the word is used).
words=(log=info = =x log= cpu_limit_ms= cpu_limit_ms=99999999999999999999999 cpu_limit_ms=0 cpu_limit_ms=-5
       fault=reboot log=loud bogus=1 justaword log=trace cpu_limit_ms=3000 cpu_limit_ms=5)
reasons=(- empty-key empty-key repeated-key empty-value out-of-range out-of-range not-a-number
         unknown-value repeated-key unknown-key not-key-value repeated-key - repeated-key)
log=$logdir/cmdline-hostile.log
QEMU_EXTRA_FLAGS="" "$here/boot-kernel.sh" "$image" 128M "$log" "${words[@]}"
status=$?
ok=1
ignored=0
for index in "${!words[@]}"; do
  [ "${reasons[$index]}" = - ] && continue
  ignored=$((ignored + 1))
  count=$(clean "$log" | grep -cF -- "cmdline-ignored  word=${words[$index]} reason=${reasons[$index]}")
  [ "$count" = 1 ] || { echo "     word '${words[$index]}': $count warn lines with reason=${reasons[$index]}"; ok=0; }
done
[ "$(clean "$log" | grep -c 'cmdline-ignored')" = "$ignored" ] || ok=0
clean "$log" | grep -q "boot   cmdline .* log=info cpu_limit_ms=3000 commit_quota_mb=1024 fault=none ignored_words=$ignored$" || ok=0
if [ "$status" = 0 ] && [ $ok = 1 ] && "$here/check-summary.sh" "$log" "$(bytes 128M)" >/dev/null; then
  echo "ok   $ignored bad words, each reported once with its reason; log=info cpu_limit_ms=3000 applied"
else clean "$log" | grep -E 'cmdline|summary' | head -20; fail "hostile command line"; fi

echo "== CPU without NX (-cpu qemu64,-nx)"
log=$logdir/no-nx.log
if QEMU_EXTRA_FLAGS="$(initrd "$default_programs") -cpu qemu64,-nx" "$here/boot-kernel.sh" "$image" 128M "$log" log=info && \
   clean "$log" | grep -q '^warn  cpu    no-nx        wx=writes-only data=executable' && \
   clean "$log" | grep -q 'cpu    features     nx=absent' && \
   "$here/check-summary.sh" "$log" "$(bytes 128M)"; then echo "ok   no-nx boot: log line and summary"
else clean "$log" | tail -5; fail "no-nx boot"; fi

echo "== SMEP and SMAP (-cpu max)"
log=$logdir/cpu-max.log
if QEMU_EXTRA_FLAGS="$(initrd "$default_programs") -cpu max" "$here/boot-kernel.sh" "$image" 128M "$log" log=info && \
   clean "$log" | grep -q 'cpu    features     nx=on smep=on smap=on' && \
   "$here/check-programs.sh" "$log" User/Programs/expectations.txt $default_programs >/dev/null && \
   "$here/check-summary.sh" "$log" "$(bytes 128M)"; then echo "ok   -cpu max: smep=on smap=on, default programs and summary"
else clean "$log" | tail -5; fail "-cpu max boot"; fi

echo "== too little RAM"
# 5M is far too small; the kernel's line says what is needed (N MiB). N - 1 MiB must fail the same
# way and N must pass: the kernel's computed need is the real minimum.
needed=""
for mem in 5M next; do
  [ "$mem" = next ] && mem=$(( ${needed:-18} - 1 ))M
  log=$logdir/mem-$mem.log
  QEMU_EXTRA_FLAGS="$(initrd "$default_programs")" "$here/boot-kernel.sh" "$image" "$mem" "$log" log=info >/dev/null
  line=$(clean "$log" | grep '^error boot   not-enough-memory')
  summaries=$(clean "$log" | grep -c '^summary result=fail cause=not-enough-memory')
  [ -z "$needed" ] && needed=$(sed -n 's/.* needed=\([0-9]*\)MiB .*/\1/p' <<<"$line")
  if [ -n "$line" ] && [ "$(wc -l <<<"$line")" = 1 ] && grep -q " needed=${needed}MiB have=${mem}iB" <<<"$line" && [ "$summaries" = 1 ]; then
    echo "ok   MEM=$mem: $line"
  else clean "$log" | tail -5; fail "MEM=$mem: no single not-enough-memory line with needed=${needed}MiB have=$mem and a failing summary"; fi
done
min_mem=${needed:-18}M
log=$logdir/mem-$min_mem.log
if QEMU_EXTRA_FLAGS="$(initrd "$default_programs")" "$here/boot-kernel.sh" "$image" "$min_mem" "$log" log=info && \
   "$here/check-programs.sh" "$log" User/Programs/expectations.txt $default_programs >/dev/null && \
   "$here/check-summary.sh" "$log" "$(bytes $min_mem)"; then echo "ok   MEM=$min_mem (the need the kernel states): default programs and summary"
else clean "$log" | tail -5; fail "MEM=$min_mem"; fi

echo "== kernel stack protector (fault=stack-smash)"
log=$logdir/fault-stack-smash.log
QEMU_EXTRA_FLAGS="" "$here/boot-kernel.sh" "$image" 128M "$log" fault=stack-smash >/dev/null
if clean "$log" | grep -q 'panic  panic .*__stack_chk_fail' && clean "$log" | grep -q '^summary result=fail cause=panic' && \
   ! clean "$log" | grep -q 'stack-smash-undetected'; then echo "ok   an overwritten canary panics naming __stack_chk_fail, fail code"
else clean "$log" | tail -5; fail "stack protector"; fi

limit=${PROGRAMS_CPU_LIMIT_MS:-8000}
echo "== CPU time spent in the kernel (syscall_hog, cpu_limit_ms=$limit)"
line=$(clean "$logdir/programs.log" | grep -E 'proc +end .* prog=syscall_hog ')
user=$(sed -n 's/.* cpu_user_ms=\([0-9]*\).*/\1/p' <<<"$line") kernel=$(sed -n 's/.* cpu_kernel_ms=\([0-9]*\).*/\1/p' <<<"$line")
if [ -n "$user" ] && [ -n "$kernel" ] && [ $((user + kernel)) -ge $((limit - 2)) ] && [ $((user + kernel)) -le $((limit * 11 / 10 + 100)) ] && [ "$kernel" -gt "$user" ]; then
  echo "ok   syscall_hog killed at cpu_user_ms=$user + cpu_kernel_ms=$kernel (limit $limit)"
else fail "syscall_hog: ${line:-no end line}"; fi

echo "== stack guard gap (stack_jump, programs boot)"
if clean "$logdir/programs.log" | grep -qE 'proc +killed .* prog=stack_jump fault=page-fault .* cause=stack-guard-gap'; then
  echo "ok   stack_jump's jump past the stack faulted in the guard gap"
else fail "stack_jump: no page fault with cause=stack-guard-gap"; fi

[ "$failures" -eq 0 ]

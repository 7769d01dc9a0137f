#!/usr/bin/env bash
# The live monitor, driven like a person at the console: QEMU's serial port is a pair of FIFOs;
# each command is typed after the `mm> ` prompt appears, and answers are read back from the
# transcript (so `kfree` can use the address `kalloc` printed). Checks each answer, that bad
# input gets one error line and the prompt again, that wrong frees are reported and survived,
# and that `quit` reports what the session left and ends with a passing summary.
# Usage: check-monitor.sh KERNEL "PROGRAM.elf ..." LOGDIR
set -u
kernel=$1 programs=$2 logdir=$3
mkdir -p "$logdir"
work=$(mktemp -d) transcript="$logdir/monitor.log"
trap 'kill $qemu_pid 2>/dev/null; rm -rf "$work"' EXIT
mkfifo "$work/serial.in" "$work/serial.out"
: >"$transcript"
qemu-system-x86_64 -m 64M -display none -no-reboot -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -chardev pipe,id=console,path="$work/serial" -serial chardev:console \
  -kernel "$kernel" -append "log=info monitor cpu_limit_ms=2000" -initrd "${programs// /,}" &
qemu_pid=$!
cat "$work/serial.out" >>"$transcript" &
exec 3>"$work/serial.in"
failures=0
fail() { echo "FAIL monitor: $1"; failures=$((failures + 1)); }
prompts() { grep -o 'mm> ' "$transcript" | wc -l; }
# Waits until the transcript shows $1 prompts (30 s at most).
wait_prompts() { for _ in $(seq 300); do [ "$(prompts)" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
expected=1
wait_prompts 1 || { fail "no mm> prompt after boot"; cat "$transcript" | tail -5; exit 1; }
# type CMD: types it, waits for the next prompt, leaves the answer (lines after the command) in $answer.
type() {
  local before; before=$(wc -l <"$transcript")
  printf '%s\r' "$1" >&3
  expected=$((expected + 1))
  wait_prompts "$expected" || { fail "no prompt after '$1'"; return 1; }
  answer=$(tail -n +"$((before + 1))" "$transcript" | tr -d '\r')
}
expect() { grep -qE "$2" <<<"$answer" || fail "'$1': expected /$2/ in: $(head -c 400 <<<"$answer")"; }

type help;              expect help '^info  mon    help .* \| kalloc SIZE'; expect help 'mon    program .*name=hello'
type frames;            expect frames '^info  mon    frames .*total=[0-9]+ free=[0-9]+ .*largest_free_run=[0-9]+'
type buddyinfo;         expect buddyinfo '^info  mon    order .*order=0 block=16B'
type heap;              expect heap '^info  mon    heap .*splits=[0-9]+ merges=[0-9]+'
type slabs;             expect slabs '^info  mon    slabs .*slabs_held=[0-9]+ .*live_objects=[0-9]+'; expect slabs-cache '^info  mon    cache .*name=process '
type ps;                expect ps 'mon    ps .*running=0 started=0'
type "kalloc 100";      expect kalloc '^info  mon    kalloc .*ptr=0x[0-9a-f]+ size=100 align=16 block=[0-9]+ order=(slab|[0-9]+) splits=[0-9]+'
small=$(grep -o 'ptr=0x[0-9a-f]*' <<<"$answer" | cut -d= -f2)
type "kalloc 3000 64";  expect kalloc-aligned 'mon    kalloc .*size=3000 align=64'
type "kalloc 64K";      expect kalloc-64K 'mon    kalloc .*size=65536'
big=$(grep -o 'ptr=0x[0-9a-f]*' <<<"$answer" | cut -d= -f2)
type "kfree $small";    expect kfree "mon    kfree .*ptr=${small} block=[0-9]+ merges=[0-9]+"
type "kfree $small";    expect double-kfree 'result=rejected-by-heap'; expect double-kfree 'error heap   bad-free .*error=double-free'
type "kfree 0x1";       expect foreign-kfree 'result=rejected-by-heap'
type frobnicate;        expect unknown '^warn  mon    error .*reason=unknown-command'
[ "$(grep -vc '^mm> ' <<<"$answer")" -eq 1 ] || fail "bad input should give exactly one line: $answer"
type kalloc;            expect missing 'reason=missing-argument'
type "kalloc 12q";      expect bad-number 'reason=bad-number'
type "kalloc 8 3";      expect bad-align 'reason=bad-alignment'
type "falloc 8 8";      expect falloc '^info  mon    falloc .*base=0x[0-9a-f]+ frames=8 .*align=8'
run=$(grep -o 'base=0x[0-9a-f]*' <<<"$answer" | cut -d= -f2)
type "falloc 3";        expect falloc-3 'mon    falloc .*frames=3'
type "ffree 0x1000";    expect ffree-reserved 'mon    ffree .*result=refused'
type "ffree 0x123";     expect ffree-misaligned 'reason=misaligned'
type "ffree $run";      expect ffree 'mon    ffree .*frames=8'
type "ffree $run";      expect ffree-again 'result=rejected error=already-free state=unchanged'
type "vm 0";            expect vm0 'mon    vm-region .*perm=r-x page=4KiB'; expect vm0 'mon    vm .*pid=0 regions=[0-9]+'
type "vm 99";           expect vm99 'reason=no-such-process'
# run starts the program in the background: the prompt comes back at once, the program's end later.
wait_line() { for _ in $(seq 300); do grep -qE "$1" "$transcript" && return 0; sleep 0.1; done; fail "never logged /$1/"; }
type "run hello";       expect run 'info  mon    run .*pid=1 prog=hello'
wait_line 'info  proc   end .*prog=hello status=exited code=0'
type "run nosuch";      expect run-missing 'reason=no-such-program name=nosuch'
type ps;                expect ps-after 'started=1 .*last_status=exited'
# A live process at the prompt (cpu_hog spins until its 2 s CPU limit): ps lists it.
type "run cpu_hog";     expect run-hog 'info  mon    run .*pid=2 prog=cpu_hog'
type ps;                expect ps-live 'mon    ps .*running=1 started=2'; expect ps-live 'mon    process .*pid=2 prog=cpu_hog state=(runnable|running) '
wait_line 'info  proc   end .*prog=cpu_hog status=killed fault=cpu-time-limit'
type "vm 1";            expect vm1 'pid=1 state=ended'
type "log error";       expect log 'mon    log .*level=error'
type frames;            expect frames-quiet 'mon    frames'
type "log info";        expect log-info 'level=info'
printf 'quit\r' >&3
for _ in $(seq 300); do grep -q '^summary ' "$transcript" && break; sleep 0.1; done
wait $qemu_pid; status=$?
grep -qE 'warn  mon    leak .*kind=kalloc' "$transcript" || fail "quit did not report the kalloc blocks left"
grep -qE 'warn  mon    leak .*kind=falloc .*frames=3' "$transcript" || fail "quit did not report the falloc run left"
grep -qE 'info  mon    quit .*kalloc_left=2 frames_left=3 freed=yes provoked_heap_errors=2' "$transcript" || fail "quit line wrong"
grep -qE '^summary result=pass .*heap_errors=4 heap_errors_expected=4' "$transcript" || fail "summary not passing: $(grep '^summary' "$transcript")"
[ "$status" -eq 33 ] || fail "QEMU exit status $status (33 = pass)"
if [ $failures -eq 0 ]; then echo "ok   monitor: $((expected - 1)) commands typed, answers checked, quit -> summary pass ($transcript)"; exit 0; fi
echo "FAIL monitor: $failures check(s) failed; transcript in $transcript"; exit 1

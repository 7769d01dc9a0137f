#!/usr/bin/env bash
# Compares builds of SwiftMMBench (e.g. before and after a change) on a shared, noisy machine:
#
#   tools/bench/interleave.sh OUTDIR RUNS BIN...
#
# Runs `BIN malloc` RUNS times per binary, interleaved run by run (A B A B ...), each run waiting
# until the 1-minute load average is below 0.5, and writes OUTDIR/NAME.RUN.txt (NAME: the binary's
# file name, so copy each build to a distinct name first). Inside one run the contenders (ours
# and every peer) already alternate round by round. SWIFTMM_* variables (SWIFTMM_MALLOC_SCENARIO,
# SWIFTMM_MALLOC_PEERS, SWIFTMM_BENCH_ROUNDS) pass through. Read the result with
# tools/bench/ratio-table.py OUTDIR NAME...
set -eu
out=$1 runs=$2
shift 2
mkdir -p "$out"
repo=$(realpath "$(dirname "$0")/../..")
cd "$repo"  # the traces are found relative to the repository root
for run in $(seq 1 "$runs"); do
    for bin in "$@"; do
        while awk '{ exit !($1 >= 0.5) }' /proc/loadavg; do sleep 10; done
        GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 "$bin" malloc > "$out/$(basename "$bin").$run.txt" 2>/dev/null
    done
done

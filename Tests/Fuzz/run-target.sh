#!/usr/bin/env bash
# Runs one fuzz target for SECONDS over its committed corpus (Tests/Fuzz/Corpus/NAME, read only)
# and its working corpus (build/fuzz/corpus/NAME, where new inputs go), then prints one line:
#   fuzz target=NAME runs=N crashes=0 cov=C ft=F corpus=K seconds=S
# cov/ft are libFuzzer's covered edges and features at the end of the run. A crash prints
# crashes=1 with the saved input (build/fuzz/crashes/NAME-...) and the log's last lines; exit 1.
set -uo pipefail
fuzz_dir=$1 target=$2 seconds=$3
binary=$fuzz_dir/$target
mkdir -p "$fuzz_dir/corpus/$target" "$fuzz_dir/crashes" "$fuzz_dir/logs" "Tests/Fuzz/Corpus/$target"
log=$fuzz_dir/logs/$target.log
export SWIFT_BACKTRACE=enable=no  # the libFuzzer/ASan report is the one we want
started=$(date +%s.%N)
"$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$fuzz_dir/crashes/$target-" \
  "$fuzz_dir/corpus/$target" "Tests/Fuzz/Corpus/$target" > "$log" 2>&1
status=$?
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<< "$last")
if [ $status -eq 0 ]; then
  echo "fuzz target=$target runs=${runs:-0} crashes=0 cov=${cov:-0} ft=${ft:-0} corpus=${corpus:-0} seconds=$elapsed"
  exit 0
fi
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
echo "fuzz target=$target runs=${runs:-0} crashes=1 input=${crash:-none} log=$log seconds=$elapsed"
grep -E 'fuzz check failed|ERROR: AddressSanitizer|Fatal error|Swift runtime failure|SUMMARY' "$log" | head -5 | sed 's/^/  /'
exit 1

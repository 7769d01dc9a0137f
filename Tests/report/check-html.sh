#!/usr/bin/env bash
# The report page opened in a real browser: mmlog renders a recorded trace log, headless
# Chromium loads the page, runs its script, dumps the DOM and takes a screenshot. Passes when the
# script ran to its end (#render-status, with no console error), the DOM shows the figures the
# text report states (result, peak, processes, three memory maps) and the screenshot was written.
# Usage: check-html.sh MMLOG_BINARY LOGFILE OUTDIR
set -u
mmlog=$1 logfile=$2 out=$3
mkdir -p "$out"
fail() { echo "FAIL report html: $1"; exit 1; }

browser=$(command -v chromium || command -v chromium-browser) || fail "chromium is not installed (make report-test installs it)"
"$mmlog" "$logfile" --out "$out" >/dev/null || fail "mmlog failed on $logfile"
name=$(basename "${logfile%.*}")
html="$out/$name.html" report="$out/$name.report.txt"
[ -s "$html" ] && [ -s "$report" ] || fail "mmlog wrote no page or report"

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-dev-shm-usage
       --virtual-time-budget=5000 --window-size=1320,2400)
dom="$out/$name.dom.html" console="$out/$name.console.log"
timeout 90 "$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$(realpath "$html")" \
  >"$dom" 2>"$console" || fail "chromium could not load the page (see $console)"
timeout 90 "$browser" "${flags[@]}" --screenshot="$out/$name.png" "file://$(realpath "$html")" \
  >/dev/null 2>&1 || fail "chromium could not take a screenshot"

grep -q 'id="render-status"' "$dom" || fail "the page's script did not run to its end (no #render-status)"
if grep -E 'Uncaught|SyntaxError|ReferenceError|TypeError' "$console"; then fail "script error in the console"; fi

# Figures the DOM must show, taken from the text report and the log's summary line.
result=$(grep -o '^summary result=[a-z]*' "$logfile" | tr -d '\r' | cut -d= -f2)
grep -q "id=\"result\">${result^^}<" "$dom" || fail "result badge is not ${result^^}"
peak=$(sed -n 's/.*peak allocated \([0-9]*\) .*/\1/p' "$report")
grep -q "data-maps=\"3\"" "$dom" || fail "expected three memory maps (boot, peak, exit)"
grep -q "${peak} frames, " "$dom" || fail "peak figure ($peak frames) not on the page"
procs=$(grep -c '^info  proc   start' "$logfile")
grep -q "data-processes=\"$procs\"" "$dom" || fail "expected $procs process rows"
cells=$(grep -o 'data-cells="[0-9]*"' "$dom" | grep -o '[0-9]*')
[ "${cells:-0}" -ge 300 ] || fail "memory maps have only ${cells:-0} cells"
[ "$(grep -o 'class="check agrees"' "$dom" | wc -l)" -ge 8 ] || fail "summary checks do not all agree on the page"
[ -s "$out/$name.png" ] || fail "no screenshot"
echo "ok   report html: $(basename "$html") in Chromium: result=$result peak=$peak frames, $procs processes, $cells map cells, screenshot $out/$name.png"

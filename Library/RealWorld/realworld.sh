#!/usr/bin/env bash
# Real programs under libswiftmm.so and under glibc's malloc (README "libswiftmm").
#
#   realworld.sh short LIB WORK    the subset `make test` runs (about 2 minutes on 2 loaded cores)
#   realworld.sh full  LIB WORK    the whole set `make realworld` runs (Python's regression suite)
#   realworld.sh bench LIB WORK [RUNS]
#                                  wall time and peak RSS of each program under glibc, jemalloc,
#                                  mimalloc, tcmalloc and libswiftmm, medians over RUNS (default 5)
#
# Suites: each check runs once with glibc's malloc and once with LD_PRELOAD=libswiftmm.so, and
# the two outcomes must be the same (Python: every test case's outcome, from --junit-xml; the
# other programs: their whole output, byte for byte, which must also be right). Under
# libswiftmm every process of a run appends its SWIFTMM_STATS line to a file, and every line
# must say invariants=ok: the heap of every process (subprocesses and fork children included)
# was consistent when it exited. Ends with "N passed, N failed"; exit 1 on a failure.
set -u
mode=$1
lib=$(realpath "$2")
work=$(realpath -m "$3")
runs=${4:-5}
here=$(realpath "$(dirname "$0")")
repo=$(realpath "$here/../..")
python=/usr/bin/python3
mkdir -p "$work"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "realworld ok   $1"; }
fail() { failed=$((failed + 1)); echo "realworld FAIL $1: $2"; }

# Python regression tests. Short: modules that exercise dicts, strings, regexes, JSON, pickling,
# the GC, threads and mmap in about 30 s. Full: the whole suite except the tests listed below,
# which either need resources this machine does not give (GUI, network, gdb, large files), only
# rebuild or reinstall Python (peg_generator, tools, venv, ensurepip, distutils, compileall), or
# repeat another module under a different start method (multiprocessing spawn/forkserver:
# test_multiprocessing_fork, which runs the same tests, stays in).
PY_SHORT="test_dict test_list test_set test_unicode test_re test_json test_collections
  test_gc test_threading test_thread test_mmap test_struct"
PY_FULL_EXCLUDE="test_multiprocessing_spawn test_multiprocessing_forkserver test_concurrent_futures
  test_asyncio test_peg_generator test_tools test_distutils test_compileall test_venv test_ensurepip
  test_gdb test_tkinter test_ttk test_ttk_textonly test_idle test_tix test_turtle test_largefile
  test_bigmem test_zipfile64 test_lib2to3 test_socket test_ssl test_urllib2net test_urllibnet
  test_nntplib test_smtpnet test_timeout test_httpservers test_docxmlrpc test_xmlrpc_net"

# Runs "$@" under allocator $1 (glibc or swiftmm).
under() {
  local allocator=$1
  shift
  if [ "$allocator" = swiftmm ]; then
    SWIFTMM_STATS="$work/swiftmm/stats.log" LD_PRELOAD="$lib" "$@"
  else
    "$@"
  fi
}

run_python_tests() {
  local allocator=$1 tests
  if [ "$mode" = short ]; then
    # shellcheck disable=SC2086
    (cd "$work/$allocator" && under "$allocator" "$python" -m test --junit-xml "$work/$allocator/python.xml" \
      --timeout 600 $PY_SHORT >"$work/$allocator/python.log" 2>&1)
  else
    # shellcheck disable=SC2086
    (cd "$work/$allocator" && under "$allocator" "$python" -m test -j2 --junit-xml "$work/$allocator/python.xml" \
      --timeout 900 -x $PY_FULL_EXCLUDE >"$work/$allocator/python.log" 2>&1)
  fi
  grep -E "^(Total duration|Tests result)" "$work/$allocator/python.log" | tr '\n' ' '
}

# Every other program: its output must be what glibc's run printed, byte for byte.
run_programs() {
  local allocator=$1 dir=$work/$1
  under "$allocator" sqlite3 "$dir/workload.db" <"$here/workload.sql" >"$dir/sqlite.out" 2>&1
  under "$allocator" "$python" "$here/workload.py" >"$dir/python-workload.out" 2>&1
  under "$allocator" perl "$here/workload.pl" >"$dir/perl-workload.out" 2>&1
  under "$allocator" gcc -O2 -g -fPIC -c "$repo/Library/Source/Exports.c" -o "$dir/exports.o" >"$dir/gcc.out" 2>&1
  sha256sum <"$dir/exports.o" >>"$dir/gcc.out"
  under "$allocator" g++ -O2 -c "$here/workload.cc" -o "$dir/workload.o" >"$dir/gxx.out" 2>&1
  sha256sum <"$dir/workload.o" >>"$dir/gxx.out"
  # git over this repository's history: a full clone, log with patches, blame, a threaded
  # repack, fsck.
  rm -rf "$dir/repo"
  {
    under "$allocator" git clone -q --no-local --single-branch "$repo" "$dir/repo" &&
      under "$allocator" git -C "$dir/repo" log -p --stat | sha256sum &&
      under "$allocator" git -C "$dir/repo" blame -w Makefile | sha256sum &&
      under "$allocator" git -C "$dir/repo" -c pack.threads=2 repack -adfq &&
      under "$allocator" git -C "$dir/repo" rev-list --all --objects | sort | sha256sum &&
      under "$allocator" git -C "$dir/repo" fsck --full --strict --no-progress 2>&1 &&
      echo "git: all steps exited 0"
  } >"$dir/git.out" 2>&1
}

suites() {
  for allocator in glibc swiftmm; do
    rm -rf "${work:?}/$allocator"
    mkdir -p "$work/$allocator"
    echo "realworld: python3 -m test ($mode) under $allocator: $(run_python_tests "$allocator")"
    run_programs "$allocator"
  done
  local out modules
  if out=$("$python" "$here/compare-junit.py" glibc "$work/glibc/python.xml" swiftmm "$work/swiftmm/python.xml" 2>&1); then
    pass "python3 -m test: same outcome for every test case ($(echo "$out" | head -2 | tr '\n' ';'))"
  else
    # Timing-dependent tests on a loaded machine: a module whose cases differ is run once more
    # under each allocator; only a difference that repeats is a failure.
    modules=$(sed -n 's/^differing modules: //p' <<<"$out")
    echo "$out" | grep -v '^differing modules'
    echo "realworld: running again under both allocators: $modules"
    local allocator
    for allocator in glibc swiftmm; do
      # shellcheck disable=SC2086
      (cd "$work/$allocator" && under "$allocator" "$python" -m test --junit-xml "$work/$allocator/python-again.xml" \
        --timeout 900 $modules >"$work/$allocator/python-again.log" 2>&1)
    done
    if [ -n "$modules" ] && again=$("$python" "$here/compare-junit.py" glibc "$work/glibc/python-again.xml" \
        swiftmm "$work/swiftmm/python-again.xml" 2>&1); then
      pass "python3 -m test: same outcome for every test case after one rerun of $modules (first run: $(grep -c differs: <<<"$out") cases differed)"
    else
      fail "python3 -m test" "${again:-$out}"
    fi
  fi
  local check
  for check in sqlite python-workload perl-workload gcc gxx git; do
    if ! cmp -s "$work/glibc/$check.out" "$work/swiftmm/$check.out"; then
      fail "$check" "output differs from glibc's: $(diff "$work/glibc/$check.out" "$work/swiftmm/$check.out" | head -5)"
    elif ! grep -q -E '^ok$|digest=|perl-workload|^[0-9a-f]{64}|all steps exited 0' "$work/glibc/$check.out"; then
      fail "$check" "glibc's run did not produce the expected output: $(head -3 "$work/glibc/$check.out")"
    else
      pass "$check: output identical under both ($(tail -1 "$work/swiftmm/$check.out" | cut -c1-60))"
    fi
  done
  local processes bad
  processes=$(grep -c '^libswiftmm: stats' "$work/swiftmm/stats.log" 2>/dev/null || echo 0)
  bad=$(grep '^libswiftmm: stats' "$work/swiftmm/stats.log" | grep -vc 'invariants=ok')
  if [ "$processes" -gt 0 ] && [ "$bad" -eq 0 ]; then
    pass "heap invariants held at exit in all $processes libswiftmm processes"
  else
    fail "heap invariants" "$bad of $processes processes ended with a violated invariant"
  fi
  echo "realworld ($mode): $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# ---- bench ------------------------------------------------------------------------------------
libdir=/usr/lib/x86_64-linux-gnu
preload_of() {
  case $1 in
    glibc) echo "" ;;
    jemalloc) echo "$libdir/libjemalloc.so.2" ;;
    mimalloc) echo "$libdir/libmimalloc.so.2" ;;
    tcmalloc) echo "$libdir/libtcmalloc_minimal.so.4" ;;
    swiftmm) echo "$lib" ;;
  esac
}

# name | command (run by bash -c in $work/bench; its stdout is compared with glibc's)
BENCH_PROGRAMS=(
  "python|$python $here/workload.py"
  "perl|perl $here/workload.pl"
  "sqlite|rm -f w.db && sqlite3 w.db < $here/workload.sql"
  "g++|g++ -O2 -c $here/workload.cc -o w.o && sha256sum < w.o"
  "git|rm -rf r && git clone -q --no-local --single-branch $repo r && git -C r log -p --stat | sha256sum && git -C r -c pack.threads=2 repack -adfq && git -C r fsck --strict --no-progress && echo fsck-ok"
)

bench() {
  local allocators="" a
  for a in glibc jemalloc mimalloc tcmalloc swiftmm; do
    local p
    p=$(preload_of "$a")
    if [ -z "$p" ] || [ -e "$p" ]; then allocators="$allocators $a"; else echo "# bench: $a skipped ($p missing)"; fi
  done
  mkdir -p "$work/bench"
  cd "$work/bench" || exit 1
  local results=$work/bench/results.txt
  : >"$results"
  echo "# bench: load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $runs runs each, allocators interleaved"
  local round entry name command
  for ((round = 1; round <= runs; round++)); do
    for entry in "${BENCH_PROGRAMS[@]}"; do
      name=${entry%%|*}
      command=${entry#*|}
      for a in $allocators; do
        LD_PRELOAD=$(preload_of "$a") /usr/bin/time -f "%e %M" -o "$work/bench/time.txt" bash -c "$command" \
          >"$work/bench/$name.$a.out" 2>&1
        local status=$?
        local outcome=ok
        [ $status -ne 0 ] && outcome="exit$status"
        if [ "$a" != glibc ] && ! cmp -s "$work/bench/$name.glibc.out" "$work/bench/$name.$a.out"; then outcome=differs; fi
        echo "$name $a $(tail -1 "$work/bench/time.txt") $outcome" >>"$results"
      done
    done
  done
  echo "# bench: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$python" - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, allocator, seconds, kib, outcome = line.split()
    rows.setdefault((name, allocator), []).append((float(seconds), int(kib), outcome))
programs = list(dict.fromkeys(name for name, _ in rows))
allocators = list(dict.fromkeys(a for _, a in rows))
print("| program | allocator | outcome | wall s (median, min-max) | peak RSS MiB | time / glibc | RSS / glibc |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for program in programs:
    base = rows[(program, "glibc")]
    base_time = statistics.median(s for s, _, _ in base)
    base_rss = statistics.median(k for _, k, _ in base)
    for allocator in allocators:
        samples = rows[(program, allocator)]
        times = [s for s, _, _ in samples]
        rss = [k for _, k, _ in samples]
        outcomes = sorted(set(o for _, _, o in samples))
        t, m = statistics.median(times), statistics.median(rss)
        print("| %s | %s | %s | %.2f (%.2f-%.2f) | %.1f | %.2f | %.2f |" % (
            program, allocator, "/".join(outcomes), t, min(times), max(times), m / 1024,
            t / base_time, m / base_rss))
PY
}

case $mode in
  short | full) suites ;;
  bench) bench ;;
  *) echo "usage: realworld.sh short|full|bench LIB WORK [RUNS]"; exit 2 ;;
esac

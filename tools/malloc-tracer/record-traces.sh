#!/usr/bin/env bash
# Records the real-program malloc traces in traces/ (traces/README.md says what each one is).
#
#   tools/malloc-tracer/record-traces.sh TRACER_SO [NAME...]
#
# Runs each program under the tracer (tools/malloc-tracer/malloc-tracer.c), keeps the trace of
# the process that did the work (the largest one: cc1 under gcc, swift-frontend under swiftc),
# prepends where and when it was recorded, and writes traces/NAME.trace.xz. With NAMEs, records
# only those. The inputs are this repository's own files at the commit in RECORD_COMMIT (git's
# history, the Swift sources, the C file), so a re-recording sees the same work.
set -eu
tracer=$(realpath "$1"); shift
repo=$(realpath "$(dirname "$0")/../..")
RECORD_COMMIT=${RECORD_COMMIT:-78e572f}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
names=${*:-perl-concordance python-ast gcc-compile git-log swiftc-memorycore clang-compile sqlite-index jq-transform \
  awk-wordindex awk-groupby git-grep}

# NAME: the command (run from the repository root, output discarded).
run_workload() {
    case $1 in
    perl-concordance)   # an interpreter: Perl building a concordance of the Swift sources
        perl traces/workloads/concordance.pl $(git ls-tree -r --name-only "$RECORD_COMMIT" -- Sources Kernel Tests \
          | grep '\.swift$' | sort) ;;
    python-ast)         # an interpreter: CPython (PYTHONMALLOC=malloc: every object from malloc) parsing
                        # and dumping the ASTs of the json package and argparse
        PYTHONMALLOC=malloc /usr/bin/python3 -c 'import ast, glob
files = sorted(glob.glob("/usr/lib/python3.*/json/*.py")) + sorted(glob.glob("/usr/lib/python3.*/argparse.py"))
print(sum(len(ast.dump(ast.parse(open(f).read()))) for f in files))' ;;
    gcc-compile)        # a compiler: gcc -O2 compiling the tracer's own C file (cc1's trace)
        gcc -O2 -c tools/malloc-tracer/malloc-tracer.c -o "$work/tracer.o" ;;
    git-log)            # version control: the full patch history of this repository
        git log -p --stat "$RECORD_COMMIT" ;;
    swiftc-memorycore)  # the Swift compiler building one module of this project (swift-frontend, -O, WMO)
        swiftc -O -wmo -parse-as-library -module-name MemoryCore -num-threads 0 -c Sources/MemoryCore/*.swift \
          -o "$work/MemoryCore.o" ;;
    clang-compile)      # a second compiler, LLVM's: clang -O2 compiling the same C file
        clang -O2 -c tools/malloc-tracer/malloc-tracer.c -o "$work/tracer-clang.o" ;;
    sqlite-index)       # a database: SQLite filling, indexing, grouping and joining an in-memory table
        sqlite3 :memory: < traces/workloads/sqlite-index.sql ;;
    jq-transform)       # a JSON processor: jq filtering, reshaping and grouping 30 000 records
        env -u LD_PRELOAD /usr/bin/python3 traces/workloads/jq-input.py > "$work/records.json"
        jq -c '[.[] | select(.score > 0.3) | {k: (.name + .nested.b), t: .tags}] | group_by(.t[0])
          | map({g: .[0].t[0], n: length})' "$work/records.json" ;;
    awk-wordindex)      # a text tool: awk (mawk) indexing every word of the Swift sources by line (strings
                        # grown by concatenation: freed and allocated again at each step)
        git archive "$RECORD_COMMIT" Sources Kernel Tests | tar -xO --wildcards '*.swift' \
          | awk '{ for (i = 1; i <= NF; i++) { w = tolower($i); gsub(/[^a-z0-9_]/, "", w); if (w == "") continue
                   n[w]++; at[w] = at[w] NR " " } }
                 END { for (w in n) if (n[w] > 2) { t += length(at[w]); k++ } print k, t }' ;;
    awk-groupby)        # a text tool: awk (mawk) grouping 300 000 generated lines by key (a heap that only
                        # grows: mawk's string pool takes 2 KiB blocks and frees them at exit)
        seq 1 300000 | env -u LD_PRELOAD awk '{ print ($1 * 7919) % 100003, "line", $1 }' \
          | awk '{ a[$1] = a[$1] $3 ","; n[$3 % 1000]++ } END { for (k in a) t += length(a[k]); print t }' ;;
    git-grep)           # version control: git grep over the tree of RECORD_COMMIT (blobs read whole)
        git grep -n -i -e span -e heap "$RECORD_COMMIT" ;;
    *) echo "unknown trace $1" >&2; return 1 ;;
    esac
}

for name in $names; do
    rm -f "$work"/run.*.trace
    SWIFTMM_TRACE="$work/run" LD_PRELOAD="$tracer" run_workload "$name" >/dev/null
    largest=$(ls -S "$work"/run.*.trace | head -1)
    {
        echo "# trace: $name (traces/README.md)"
        echo "# recorded: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -srm), $(ldd --version | head -1), inputs at commit $RECORD_COMMIT"
        echo "# operations: $(grep -vc '^#' "$largest")"
        cat "$largest"
    } | xz -9 -T1 > "traces/$name.trace.xz"
    echo "traces/$name.trace.xz: $(xz -dc "traces/$name.trace.xz" | grep -vc '^#') operations, $(stat -c %s "traces/$name.trace.xz") bytes"
done

#!/usr/bin/env python3
"""Tables tools/bench/interleave.sh's runs: per malloc scenario and build, the median of ours'
ratio_vs_best_peer over the runs with its min-max, the footprint, and the median ns per op.

    tools/bench/ratio-table.py OUTDIR NAME...     (NAME: a binary's file name given to interleave.sh)
"""
import glob
import statistics
import sys


def fields(line):
    return dict(item.split("=", 1) for item in line.split() if "=" in item)


def main():
    outdir, names = sys.argv[1], sys.argv[2:]
    table = {}  # scenario -> name -> [(ratio, footprint, ns)]
    for name in names:
        for path in sorted(glob.glob(f"{outdir}/{name}.*.txt")):
            for line in open(path):
                if "allocator=swiftmm" not in line:
                    continue
                f = fields(line)
                scenario = f["scenario"].removeprefix("malloc-")
                table.setdefault(scenario, {}).setdefault(name, []).append(
                    (float(f["ratio_vs_best_peer"]), f["footprint"], float(f["ns_per_op"])))
    print("%-26s" % "scenario" + "".join("%-34s" % n for n in names))
    for scenario, per_name in table.items():
        row = "%-26s" % scenario
        for name in names:
            runs = per_name.get(name, [])
            if not runs:
                row += "%-34s" % "-"
                continue
            ratios = [r[0] for r in runs]
            row += "%-34s" % ("%.2f (%.2f-%.2f) fp %s %.2f ns" % (
                statistics.median(ratios), min(ratios), max(ratios), runs[-1][1],
                statistics.median(r[2] for r in runs)))
        print(row)


if __name__ == "__main__":
    main()

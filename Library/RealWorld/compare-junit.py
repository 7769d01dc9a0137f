"""Compares two JUnit XML files from `python3 -m test --junit-xml`: every test case must have the
same outcome (passed, failed, error, skipped) in both. Usage: compare-junit.py NAME_A A.xml NAME_B B.xml.
Prints one summary line per file, then each test case whose outcome differs (or that only one run
has); exits 1 when any differs."""
import sys
import xml.etree.ElementTree as ElementTree


def outcomes(path):
    result = {}
    for case in ElementTree.parse(path).iter("testcase"):
        children = {child.tag for child in case}
        if "error" in children:
            outcome = "error"
        elif "failure" in children:
            outcome = "failed"
        elif "skipped" in children:
            outcome = "skipped"
        else:
            outcome = "passed"
        result[case.get("name")] = outcome
    return result


def summary(name, cases):
    counts = {kind: 0 for kind in ("passed", "failed", "error", "skipped")}
    for outcome in cases.values():
        counts[outcome] += 1
    return "%s: %d cases, %s" % (name, len(cases), ", ".join("%s=%d" % item for item in counts.items()))


name_a, path_a, name_b, path_b = sys.argv[1:5]
a, b = outcomes(path_a), outcomes(path_b)
print(summary(name_a, a))
print(summary(name_b, b))
different = sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))
for name in different[:40]:
    print("  differs: %s %s=%s %s=%s" % (name, name_a, a.get(name, "absent"), name_b, b.get(name, "absent")))
print("differing cases: %d" % len(different))
# The modules to run again (test.test_x.Class.method -> test_x), for the caller's rerun.
modules = sorted({name.split(".")[1] for name in different if name.startswith("test.") and "." in name[5:]})
print("differing modules: %s" % " ".join(modules))
sys.exit(1 if different or not a else 0)

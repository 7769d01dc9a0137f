#!/usr/bin/env python3
# stack-check: fails when a kernel function's stack frame is over budget.
#
#   tools/stack-check.py ELF...        (make stack-check runs it on the three kernels; make test calls it)
#
# Why: a process's kernel stack is 64 KiB plus a guard page (Kernel/Process/KernelStack.swift), and
# Embedded Swift gives a function a frame as large as every value it copies: reading a member of a
# large struct through a non-mutating path copied the whole struct (the kernel heap's 19.5 KiB, 60 KiB
# frames in its statistics getters). One such frame reached from a syscall is a double fault.
#
# How: `objdump -d` of each ELF; a function's frame is the largest `sub $N,%rsp` in its body (the
# prologue's; the few pushes before it are not counted). A `sub %reg,%rsp` (a frame sized at run time)
# has no bound to check and fails too, and so does an ELF with no frame at all (not a kernel, or
# a listing this script no longer understands). The kernel is built without stack probes, which
# would split a large frame into 4 KiB steps. Names are demangled with `swift demangle
# --simplified` and matched exactly against BOOT_ONLY below.
#
# Budget: BUDGET bytes (8 KiB) for every function, except the boot-only ones listed in BOOT_ONLY
# with their own budget each. Those run once, on the 256 KiB boot stack (boot/entry.asm), before the
# first process exists; their budgets are their sizes when listed, rounded up, so that they do not
# grow unnoticed either. A name in BOOT_ONLY must never be reachable after boot (from a syscall,
# the scheduler, the monitor, the heap's report and trace paths or the invariant checks).
#
# Output: one line per function over budget (ELF, bytes, budget, name) and exit status 1; else one
# `stack-check ok` line per ELF with its largest frame outside BOOT_ONLY. A BOOT_ONLY name found in
# no ELF is reported (the list must name real functions) but does not fail the check.
import re
import subprocess
import sys

BUDGET = 8 * 1024

# Boot-only functions: name (swift demangle --simplified) -> budget in bytes.
BOOT_ONLY = {
    # kernel_main's physical-memory step: the memory map, reservations and frame allocator built in
    # fixed-capacity values on the boot stack (Kernel/Memory/PhysicalMemoryBoot.swift).
    "static PhysicalMemoryBoot.run(info:layout:)": 36 * 1024,
    "static PhysicalMemoryBoot.buildFrameAllocator(map:usable:reservations:)": 20 * 1024,
    "static PhysicalMemoryBoot.bootReservations(info:layout:)": 16 * 1024,
    "static PhysicalMemoryBoot.adopt(_:map:into:reservations:)": 12 * 1024,
    "UsableFrameRanges.init(map:reservations:)": 24 * 1024,
    "MemoryMap.normalised()": 12 * 1024,
    "static MemoryMapParse.parseMultiboot2(_:)": 12 * 1024,
    # The kernel heap built once (Kernel/Memory/KernelHeap.swift): the buddy heap and the slab heap
    # are values on the boot stack until moved into kernel_heap_storage.
    "static KernelHeap.initialize()": 28 * 1024,
    "specialized SlabHeap.init(buddy:configuration:)": 24 * 1024,
}


def frames(elf):
    """{mangled name: largest frame}, and the names with a frame sized at run time."""
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", elf], check=True, capture_output=True, text=True
    ).stdout
    sizes, dynamic, name = {}, set(), None
    symbol = re.compile(r"^[0-9a-f]+ <(.+)>:$")
    fixed = re.compile(r"\ssub\s+\$0x([0-9a-f]+),%rsp$")
    variable = re.compile(r"\ssub\s+%r[a-z0-9]+,%rsp$")
    for line in listing.splitlines():
        match = symbol.match(line)
        if match:
            name = match.group(1)
            continue
        match = fixed.search(line)
        if match and name:
            sizes[name] = max(sizes.get(name, 0), int(match.group(1), 16))
        elif name and variable.search(line):
            dynamic.add(name)
    return sizes, dynamic


def demangled(names):
    names = list(names)
    if not names:
        return {}
    output = subprocess.run(
        ["swift", "demangle", "--simplified"], input="\n".join(names) + "\n", check=True, capture_output=True, text=True
    ).stdout.splitlines()
    if len(output) != len(names):
        sys.exit("stack-check: swift demangle returned %d names for %d" % (len(output), len(names)))
    return dict(zip(names, output))


def check(elf, seen):
    sizes, dynamic = frames(elf)
    readable = demangled(set(sizes) | dynamic)
    failures, largest = [], (0, "")
    if not sizes:
        failures.append((0, "stack-check: %s: no `sub $N,%%rsp` found: nothing was checked" % elf))
    for mangled in sorted(dynamic):
        failures.append((0, "stack-check: %s: frame sized at run time (sub %%reg,%%rsp): %s" % (elf, readable[mangled])))
    for mangled, size in sizes.items():
        name = readable[mangled]
        budget = BOOT_ONLY.get(name)
        if budget is not None:
            seen.add(name)
        else:
            budget = BUDGET
            largest = max(largest, (size, name))
        if size > budget:
            failures.append((size, "stack-check: %s: %d bytes > %d budget: %s" % (elf, size, budget, name)))
    for _, line in sorted(failures, key=lambda failure: -failure[0]):
        print(line)
    if not failures:
        print("stack-check ok %s: largest frame %d bytes (%s), budget %d; boot-only listed: %d" % (
            elf, largest[0], largest[1], BUDGET, len(BOOT_ONLY)))
    return not failures


def main(elfs):
    if not elfs:
        sys.exit("usage: tools/stack-check.py ELF...")
    seen = set()
    passed = all([check(elf, seen) for elf in elfs])
    for name in sorted(set(BOOT_ONLY) - seen):
        print("stack-check: note: BOOT_ONLY names a function found in no ELF (renamed or inlined?): %s" % name)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

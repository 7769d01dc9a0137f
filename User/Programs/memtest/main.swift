// memtest: exercises every memory system call and checks every answer.
//
// Sections, in order: memstat baseline, map/unmap of several sizes and protections (memory zeroed,
// writable, readable, accounted), map hints, brk grow/shrink/query, protect, memstat counters, and
// the error answers to bad arguments passed on purpose. Each check has a number; the first check
// that fails prints `memtest FAILED check=N name=...` and the program exits with N (1 ... 99).
// Success prints `memtest ok checks=N` and exits 0. docs/syscalls.md is the specification.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    var check = Checker()
    let baseline = MemstatChecks.baseline(&check)
    MapChecks.run(&check)
    HintChecks.run(&check)
    BreakChecks.run(&check, baseline: baseline)
    ProtectChecks.run(&check)
    MemstatChecks.counters(&check)
    ErrorChecks.run(&check)
    Console.line("memtest").word("ok").dec("checks", Int(check.count)).end()
    return 0
}

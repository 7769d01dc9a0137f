// syscall_fuzz (hostile): calls every system call except exit with hostile arguments (0,
// UInt64.max, wrap-around lengths, kernel, non-canonical, unaligned and past-the-end addresses,
// huge lengths, its own read-only image, spawn names and wait pids and buffers, W+X and unknown protection bits, unknown numbers,
// remap's fixed destinations).
// Every call must fail with an errno (brk: must leave the break unchanged), and afterwards the
// process must look exactly as before (same break, same pages mapped, image intact).
// A call that succeeds prints the call and exits 1; a changed process exits 2. Success: exit 0.
// Expected: exit=0.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let before = try? Syscall.memstat() else { return 3 }
    let startBreak = Syscall.currentBreak()
    var fuzz = Fuzzer(startBreak: startBreak)
    fuzz.write()
    fuzz.map()
    fuzz.unmap()
    fuzz.brk()
    fuzz.memstat()
    fuzz.protect()
    fuzz.remap()
    fuzz.processCalls()
    fuzz.unknownNumbers()
    // Committed, not resident: a refused call reserves nothing (the stack pages the run touched
    // stay resident under demand paging).
    guard let after = try? Syscall.memstat(), after.committedPages == before.committedPages,
        Syscall.currentBreak() == startBreak, HostileValues.imageIsIntact()
    else {
        Console.line("syscall_fuzz").word("FAILED").phrase("reason", "process changed by failed calls").end()
        return 2
    }
    Console.line("syscall_fuzz").word("ok").dec("calls", fuzz.calls).end()
    return 0
}

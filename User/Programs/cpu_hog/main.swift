// cpu_hog: a runaway program that never ends and never makes a syscall. The kernel's timer
// counts its ticks and kills it at its CPU-time limit (cpu_limit_ms= on the kernel command line);
// the next program runs on.
// Expected: killed=cpu-time-limit.

import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("cpu_hog").word("spinning").phrase("expect", "cpu-time-limit").end()
    Console.flush()
    var counter: UInt64 = 0
    while true {
        counter &+= 1
        blackHole(counter)
    }
}

@inline(never) func blackHole(_ value: UInt64) { _ = value }

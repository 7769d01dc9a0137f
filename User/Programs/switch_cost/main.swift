// switch_cost: what a context switch costs, measured from ring 3 with rdtsc. Spawns
// `yield_partner` and times 2000 yields: with the partner the only other runnable process, each
// yield is a round trip of two switches (here -> partner -> here, both through the scheduler and
// its context switch, each with a syscall entry and exit). For contrast, 2000 getpid calls (the
// syscall entry and exit alone). switch_min_cycles = (yield minimum - getpid minimum) / 2.
// With other programs running at once (make run) a yield waits for all of them: the median shows
// that, the minimum is the two-process figure. Under QEMU's TCG the counter is virtual: the
// figures compare, they do not time hardware.
// Expected: exit=0. Exit codes: 1 spawn failed, 2 wait failed.
import KernelLog
import MemoryCore

@_extern(c, "user_read_tsc") func user_read_tsc() -> UInt64

let rounds = 2000

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let partner = try? Syscall.spawn("yield_partner") else { return 1 }
    let yieldRoundTrip = measure { Syscall.yield() }
    let getpid = measure { _ = Syscall.getpid() }
    guard let (pid, _) = try? Syscall.wait(for: partner), pid == partner else { return 2 }
    let switchCycles = yieldRoundTrip.minimum > getpid.minimum ? (yieldRoundTrip.minimum - getpid.minimum) / 2 : 0
    Console.line("switch_cost").dec("rounds", UInt64(rounds))
        .dec("yield_round_trip_median_cycles", yieldRoundTrip.median).dec("yield_round_trip_min_cycles", yieldRoundTrip.minimum)
        .dec("getpid_median_cycles", getpid.median).dec("getpid_min_cycles", getpid.minimum)
        .dec("switch_min_cycles", switchCycles).end()
    return 0
}

/// Median and minimum cycles of `rounds` timed calls of `body` (samples inline: no heap).
func measure(_ body: () -> Void) -> (median: UInt64, minimum: UInt64) {
    var samples = FixedCapacityList<2000, UInt64>(filler: 0)
    for _ in 0 ..< rounds {
        let start = user_read_tsc()
        body()
        try? samples.append(user_read_tsc() &- start)  // capacity == rounds: always fits
    }
    samples.sort(by: <)
    return (samples[rounds / 2], samples[0])
}

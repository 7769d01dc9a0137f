// The one timed loop every rung runs, its statistics and its output line. Samples live in a
// FixedCapacityList (no heap: the measurement must not allocate from what it measures).

import KernelLog
import MemoryCore

/// Timed rounds per rung (odd: the median is one sample).
let rounds = 301
typealias Samples = FixedCapacityList<301, UInt64>

/// Whether a rung's timed rounds may reach the kernel (checked with memstat, not assumed).
enum KernelCalls {
    case none
    case some
}

extension Ladder {
    /// One untimed warm-up round (chunks, slots, spans and caches fill), then `rounds` timed
    /// rounds of `round(stamp)`; prints the rung's line. Returns the median cycles, or nil when
    /// the kernel calls made during the timed rounds contradict `kernelCalls` (or memstat failed).
    mutating func measure(
        _ name: StaticString, bytes: Int, kernelCalls: KernelCalls,
        _ round: (UInt64) -> UInt64
    ) -> UInt64? {
        checksum ^= round(0)
        var samples = Samples(filler: 0)
        guard let before = try? Syscall.memstat() else { return nil }
        for index in 0 ..< rounds {
            let start = user_read_tsc()
            checksum = checksum &* 31 &+ round(UInt64(index) &+ 1)
            let cycles = user_read_tsc() &- start
            try? samples.append(cycles)  // capacity == rounds: always fits
        }
        guard let after = try? Syscall.memstat() else { return nil }
        let calls = (after.mapCalls &- before.mapCalls) &+ (after.unmapCalls &- before.unmapCalls)
        samples.sort(by: <)
        let median = samples[samples.count / 2]
        let stack = stackMedian == 0 ? median : stackMedian
        Console.line("ladder").text("rung", name).dec("bytes", bytes).dec("rounds", samples.count)
            .dec("cycles_median", median).dec("cycles_min", samples[0]).dec("cycles_max", samples[samples.count - 1])
            .hundredths("ratio_vs_stack", median, over: max(stack, 1))
            .hundredths("kernel_calls_per_round", calls, over: UInt64(rounds)).end()
        switch kernelCalls {
        case .none: return calls == 0 ? median : nil
        case .some: return calls > 0 ? median : nil
        }
    }
}

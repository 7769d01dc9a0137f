// Cycle counts of a timed operation, taken in interleaved rounds, summarised as median and
// min-max (the way every benchmark line of this project reports, docs/allocators.md).
// The TSC is read by User/Runtime/cycles.asm (`user_read_tsc`).
import KernelLog

@_extern(c, "user_read_tsc") private func readTimeStampCounter() -> UInt64

enum Cycles {
    /// The time-stamp counter now (rdtsc; one counter for every process of the machine).
    @inline(__always) static func now() -> UInt64 { readTimeStampCounter() }
}

/// Up to 64 samples in a fixed buffer (no heap: a measurement must not allocate in what it times).
struct CycleSamples {
    static let capacity = 64
    private var values = InlineArray<64, UInt64>(repeating: 0)
    private(set) var count = 0

    /// Adds one sample; samples past the capacity are dropped (callers take fewer rounds).
    mutating func add(_ cycles: UInt64) {
        guard count < Self.capacity else { return }
        values[count] = cycles
        count += 1
    }

    /// Median, minimum and maximum (zeros when empty).
    var summary: (median: UInt64, minimum: UInt64, maximum: UInt64) {
        guard count > 0 else { return (0, 0, 0) }
        var ordered = values
        for i in 1 ..< count {  // insertion sort: a few dozen values
            var j = i
            while j > 0 && ordered[j - 1] > ordered[j] {
                ordered.swapAt(j - 1, j)
                j -= 1
            }
        }
        return (ordered[count / 2], ordered[0], ordered[count - 1])
    }
}

extension LogLine {
    /// `NAME_median=... NAME_min=... NAME_max=...` for a set of samples.
    @discardableResult func cycles(
        _ median: StaticString, _ minimum: StaticString, _ maximum: StaticString, _ samples: CycleSamples
    ) -> Self {
        let summary = samples.summary
        dec(median, summary.median)
        dec(minimum, summary.minimum)
        return dec(maximum, summary.maximum)
    }
}

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
    private var values:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64
        ) = (
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        )
    private(set) var count = 0

    /// Adds one sample; samples past the capacity are dropped (callers take fewer rounds).
    mutating func add(_ cycles: UInt64) {
        guard count < Self.capacity else { return }
        withUnsafeMutableBytes(of: &values) { $0.storeBytes(of: cycles, toByteOffset: count * 8, as: UInt64.self) }
        count += 1
    }

    /// The samples in ascending order (insertion sort: a few dozen values).
    private func sorted() -> CycleSamples {
        var copy = self
        withUnsafeMutableBytes(of: &copy.values) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 1 ..< max(count, 1) {
                var j = i
                while j > 0 && words[j - 1] > words[j] {
                    words.swapAt(j - 1, j)
                    j -= 1
                }
            }
        }
        return copy
    }

    private func at(_ index: Int) -> UInt64 {
        withUnsafeBytes(of: values) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
    }

    /// Median, minimum and maximum (zeros when empty).
    var summary: (median: UInt64, minimum: UInt64, maximum: UInt64) {
        guard count > 0 else { return (0, 0, 0) }
        let ordered = sorted()
        return (ordered.at(count / 2), ordered.at(0), ordered.at(count - 1))
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

// The benchmark harness: contenders run interleaved (ours, glibc, ours, glibc, ...) in one process
// for a number of rounds, and each scenario prints one `bench ` line of key=value fields with the
// median time per operation and the median of the per-round ratios (glibc's time / ours), so that
// machine noise that hits both contenders in one round cancels out.
#if canImport(Glibc)
import Glibc
#endif

/// Traps with `message` unless `condition` holds. SwiftMMBench is built -Ounchecked, where
/// `precondition` evaluates nothing: a check written as precondition(naive.allocate() == ...)
/// skipped the call itself (until round 11 the single-pair naive peer held no frames at all, so
/// it allocated frame 768 each time, and no check in the frame, fault or ladder scenarios ran).
func benchCheck(_ condition: @autoclosure () -> Bool, _ message: StaticString) {
    if !condition() { fatalError("\(message)") }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` once and returns the elapsed nanoseconds.
@inline(__always) func timed(_ body: () -> Void) -> UInt64 {
    let start = monotonicNanoseconds()
    body()
    return monotonicNanoseconds() &- start
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    if n == 0 { return 0 }
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// One benchmark contender: a name (`allocator=`) and one timed run of the scenario.
struct Contender {
    let name: String
    let run: () -> Void
}

/// The result of an interleaved comparison.
struct Comparison {
    /// Median nanoseconds per operation for each contender, in the order given.
    var nsPerOp: [Double]
    /// For each contender, the median over rounds of (first contender's time / this contender's
    /// time) is NOT what we report; see `ratio(of:against:)`.
    var roundTimes: [[Double]]
    /// For each contender, per round: the page faults the process took during its run (minor
    /// and major, getrusage) and the kernel CPU time it spent (ru_stime, ns). What an allocator
    /// costs in the kernel (mmap/munmap/mremap calls, first touches of fresh pages) is in the
    /// time above but invisible to callgrind; these say how much of it there was.
    var roundFaults: [[Double]]
    var roundSystemNanoseconds: [[Double]]

    /// Median over rounds of baseline_time / contender_time (> 1 means the contender is faster),
    /// with the min and max over rounds.
    func ratio(of contender: Int, against baseline: Int) -> (median: Double, min: Double, max: Double) {
        var ratios: [Double] = []
        for round in 0 ..< roundTimes[contender].count {
            ratios.append(roundTimes[baseline][round] / roundTimes[contender][round])
        }
        return (median(ratios), ratios.min() ?? 0, ratios.max() ?? 0)
    }
}

/// Runs the contenders interleaved for `rounds` rounds (after one untimed warm-up run each) and
/// returns per-operation times. `operations` is how many operations one run performs.
func compare(_ contenders: [Contender], operations: Int, rounds: Int = benchRounds) -> Comparison {
    for contender in contenders { contender.run() }
    var times = Array(repeating: [Double](), count: contenders.count)
    var faults = times
    var systemTimes = times
    for _ in 0 ..< rounds {
        for (index, contender) in contenders.enumerated() {
            let before = KernelUsage.now()
            times[index].append(Double(timed(contender.run)))
            let after = KernelUsage.now()
            faults[index].append(Double(after.faults &- before.faults))
            systemTimes[index].append(Double(after.systemNanoseconds &- before.systemNanoseconds))
        }
    }
    let perOp = times.map { median($0) / Double(operations) }
    return Comparison(nsPerOp: perOp, roundTimes: times, roundFaults: faults, roundSystemNanoseconds: systemTimes)
}

/// The process's page faults and kernel CPU time so far (getrusage), read outside the timed
/// window of each run.
struct KernelUsage {
    var faults: UInt64
    var systemNanoseconds: UInt64

    static func now() -> KernelUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let system = UInt64(usage.ru_stime.tv_sec) * 1_000_000_000 + UInt64(usage.ru_stime.tv_usec) * 1_000
        return KernelUsage(faults: UInt64(usage.ru_minflt + usage.ru_majflt), systemNanoseconds: system)
    }
}

/// Rounds per interleaved comparison; `make bench ROUNDS=n` (env SWIFTMM_BENCH_ROUNDS) overrides.
let benchRounds: Int = {
    if let text = getenv("SWIFTMM_BENCH_ROUNDS"), let n = Int(String(cString: text)), n > 0 { return n }
    return 11
}()

/// Scenario filter shared by every group: when the environment variable `variable` is set (e.g.
/// SWIFTMM_MALLOC_SCENARIO=text), only the scenarios whose name contains its text run.
func scenarioSelected(_ name: String, filter variable: String) -> Bool {
    guard let text = getenv(variable) else { return true }
    return name.contains(String(cString: text))
}

/// Formats a Double with a fixed number of decimals (no Foundation).
func fixed(_ value: Double, _ decimals: Int = 2) -> String {
    if !value.isFinite { return "inf" }
    var scale = 1.0
    for _ in 0 ..< decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    while fraction.count < decimals { fraction = "0" + fraction }
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}

/// Prints one `bench ` line: `bench scenario=NAME key=value ...` in the order given.
func emitBenchLine(scenario: String, _ fields: [(String, String)]) {
    var line = "bench scenario=\(scenario)"
    for (key, value) in fields { line += " \(key)=\(value)" }
    print(line)
}

/// Prints the standard line for a scenario compared against glibc: ours is contender 0, glibc is
/// contender 1, further peers (named by `peerNames`, glibc first) follow. Extra fields follow the
/// standard ones.
func emitVersusGlibc(
    scenario: String, allocator: String = "swiftmm", _ comparison: Comparison,
    peerNames: [String] = ["glibc"], extra: [(String, String)] = []
) {
    let ratio = comparison.ratio(of: 0, against: 1)
    emitBenchLine(
        scenario: scenario,
        [
            ("allocator", allocator),
            ("ns_per_op", fixed(comparison.nsPerOp[0])),
            ("glibc_ns_per_op", fixed(comparison.nsPerOp[1])),
            ("ratio_vs_glibc", fixed(ratio.median)),
        ] + bestPeerFields(comparison, ours: 0, peers: Array(1 ... peerNames.count), names: [allocator] + peerNames) + [
            ("ratio_min", fixed(ratio.min)),
            ("ratio_max", fixed(ratio.max)),
            ("rounds", String(comparison.roundTimes[0].count)),
        ] + extra)
}

/// The `best_peer=` fields of our line: the peer with the lowest median time (`best_peer`, its
/// `best_peer_ns_per_op`) and `ratio_vs_best_peer` = median over rounds of that peer's time / ours
/// (> 1: ours faster), with its min and max over rounds. `peers` are contender indices into
/// `comparison`, `names` their names; `ours` is our contender's index.
func bestPeerFields(_ comparison: Comparison, ours: Int, peers: [Int], names: [String]) -> [(String, String)] {
    guard let best = peers.min(by: { comparison.nsPerOp[$0] < comparison.nsPerOp[$1] }) else { return [] }
    let ratio = comparison.ratio(of: ours, against: best)
    return [
        ("best_peer", names[best]), ("best_peer_ns_per_op", fixed(comparison.nsPerOp[best])),
        ("ratio_vs_best_peer", fixed(ratio.median)), ("ratio_vs_best_peer_min", fixed(ratio.min)),
        ("ratio_vs_best_peer_max", fixed(ratio.max)),
    ]
}

/// Keeps a value alive and opaque to the optimiser so timed loops are not deleted.
@inline(never) func blackHole<T>(_ value: T) { _ = value }

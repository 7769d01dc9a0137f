// `make bench`: every scenario group prints its `bench ` lines. An optional argument keeps only
// the scenarios whose group name contains it (e.g. `make bench FILTER=frame`).
#if canImport(Glibc)
import Glibc
#endif

let filter = CommandLine.arguments.dropFirst().first ?? ""

func group(_ name: String, _ body: () -> Void) {
    if filter.isEmpty || name.contains(filter) { body() }
}

print("# SwiftMM benchmarks: ratio_vs_glibc = glibc time / ours (>1: ours faster), median of \(benchRounds) interleaved rounds")
group("frame") { runFrameAllocatorScenarios() }
group("buddy") { runBuddyHeapScenarios() }
group("malloc") { runUserMallocScenarios() }
group("ladder") { runLadderScenarios() }
group("fault") { runFaultScenarios() }

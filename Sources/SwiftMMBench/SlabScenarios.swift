// SlabHeap scenarios (group "buddy-slab"): the kernel heap as the kernel runs it, a slab layer
// over the buddy heap, on the same pairs, larson trace and fill-until-failure heap as the buddy
// scenarios (the drivers of KernelHeapDrivers.swift), interleaved with glibc and the peers.

import BuddyHeap
import SlabHeap

typealias BenchSlabHeap = SlabHeap<PosixArenaSource>

/// A slab heap (kernel configuration) over posix_memalign'd arenas, optionally capped.
/// `slabs` (log2 of the smallest and largest slab) other than the kernel's: for comparison.
func makeSlabHolder(arenaLimit: Int = Int.max, slabs: ClosedRange<Int>? = nil) -> HeapHolder<BenchSlabHeap> {
    do {
        let buddy = try BuddyHeap(source: PosixArenaSource(arenaLimit: arenaLimit), configuration: .kernel)
        var configuration = SlabConfiguration(secret: 0x51AB_5EC2_E700_0001)
        if let slabs {
            configuration.slabShift = slabs.lowerBound
            configuration.largestSlabShift = slabs.upperBound
        }
        return HeapHolder(try BenchSlabHeap(buddy: buddy, configuration: configuration))
    } catch {
        fatalError("bench slab configuration refused")
    }
}

func runSlabHeapScenarios() {
    for size in [16, 64, 256, 1024, 4096] where slabScenarioSelected("slab_pair_\(size)") {
        let holder = makeSlabHolder()
        runPairScenario(holder, size: size, scenario: "slab_pair_\(size)", allocator: "slabheap") {
            [("slabs", String(holder.heap.statistics.slabsHeld))]
        }
    }
    if slabScenarioSelected("slab_larson") {
        let larson = makeSlabHolder()
        runLarsonScenario(larson, scenario: "slab_larson", allocator: "slabheap") {
            [("invariants", larson.heap.checkInvariants() == nil ? "ok" : "BROKEN")]
        }
    }
    // The kernel's slab sizes (16, 32 and 64 KiB by class), then one size for every class.
    for slabs in [nil, 15 ... 15, 16 ... 16] where slabScenarioSelected(slabFillScenarioName(slabs)) {
        runSlabFillScenario(slabs: slabs)
    }
}

/// Scenario filter: env SWIFTMM_SLAB_SCENARIO=text keeps the slab scenarios whose name contains it
/// (e.g. slab_larson alone under callgrind).
func slabScenarioSelected(_ name: String) -> Bool { scenarioSelected(name, filter: "SWIFTMM_SLAB_SCENARIO") }

/// slab_fill for the kernel's slab sizes, slab_fill_<KiB>k for one size for every class.
func slabFillScenarioName(_ slabs: ClosedRange<Int>?) -> String {
    slabs.map { "slab_fill_\(1 << ($0.lowerBound - 10))k" } ?? "slab_fill"
}

/// Fill until failure on 4 arenas through the slab layer: object and slab bytes as shares of the
/// heap, and how often a larger class served a request when no new slab could be had. The
/// kernel's slab sizes are `slab_fill`; one size for every class is `slab_fill_<KiB>k`.
func runSlabFillScenario(slabs: ClosedRange<Int>?) {
    let arenas = 4
    let holder = makeSlabHolder(arenaLimit: arenas, slabs: slabs)
    let heapBytes = arenas * holder.heap.buddy.arenaBytes
    let scenario = slabFillScenarioName(slabs)
    runFillScenario(holder, heapBytes: heapBytes, scenario: scenario, allocator: "slabheap") {
        let statistics = holder.heap.statistics
        return [
            ("object_bytes_pct", fixed(100 * Double(statistics.liveObjectBytes) / Double(heapBytes), 1)),
            ("slab_bytes_pct", fixed(100 * Double(statistics.slabBytesHeld) / Double(heapBytes), 1)),
            ("slabs", "\(statistics.slabBytes >> 10)-\(statistics.largestSlabBytes >> 10)KiB"),
            ("slab_classes", String(holder.heap.genericCacheCount)),
            ("served_by_larger_class", String(statistics.servedByLargerClass)),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ]
    }
    holder.heap.trim()
}

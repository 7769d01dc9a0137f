// SlabHeap scenarios (group "buddy-slab"): the kernel heap as the kernel runs it, a slab layer
// over the buddy heap, on the same pairs, larson trace and fill-until-failure heap as the buddy
// scenarios (the drivers of KernelHeapDrivers.swift), interleaved with glibc and the peers.

import BuddyHeap
import SlabHeap

typealias BenchSlabHeap = SlabHeap<PosixArenaSource>

/// A slab heap (kernel configuration) over posix_memalign'd arenas, optionally capped.
func makeSlabHolder(arenaLimit: Int = Int.max, slabShift: Int = SlabConfiguration.defaultSlabShift) -> HeapHolder<BenchSlabHeap> {
    do {
        let buddy = try BuddyHeap(source: PosixArenaSource(arenaLimit: arenaLimit), configuration: .kernel)
        let configuration = SlabConfiguration(
            slabShift: slabShift, largestClassBytes: min(largestSlabClassBytes, (1 << slabShift) / 8), secret: 0x51AB_5EC2_E700_0001)
        return HeapHolder(try BenchSlabHeap(buddy: buddy, configuration: configuration))
    } catch {
        fatalError("bench slab configuration refused")
    }
}

func runSlabHeapScenarios() {
    for size in [16, 64, 256, 1024, 4096] {
        let holder = makeSlabHolder()
        runPairScenario(holder, size: size, scenario: "slab_pair_\(size)", allocator: "slabheap") {
            [("slabs", String(holder.heap.statistics.slabsHeld))]
        }
    }
    let larson = makeSlabHolder()
    runLarsonScenario(larson, scenario: "slab_larson", allocator: "slabheap") {
        [("invariants", larson.heap.checkInvariants() == nil ? "ok" : "BROKEN")]
    }
    // The slab size the kernel uses, then the neighbouring sizes for comparison.
    let shift = SlabConfiguration.defaultSlabShift
    for slabShift in [shift, shift - 1, shift + 1] { runSlabFillScenario(slabShift: slabShift) }
}

/// Fill until failure on 4 arenas through the slab layer: object and slab bytes as shares of the
/// heap, and how often a larger class served a request when no new slab could be had. The
/// kernel's slab size is `slab_fill`; others are `slab_fill_<KiB>k`.
func runSlabFillScenario(slabShift: Int) {
    let arenas = 4
    let holder = makeSlabHolder(arenaLimit: arenas, slabShift: slabShift)
    let heapBytes = arenas * holder.heap.buddy.arenaBytes
    let scenario = slabShift == SlabConfiguration.defaultSlabShift ? "slab_fill" : "slab_fill_\(1 << (slabShift - 10))k"
    runFillScenario(holder, heapBytes: heapBytes, scenario: scenario, allocator: "slabheap") {
        let statistics = holder.heap.statistics
        return [
            ("object_bytes_pct", fixed(100 * Double(statistics.liveObjectBytes) / Double(heapBytes), 1)),
            ("slab_bytes_pct", fixed(100 * Double(statistics.slabsHeld * statistics.slabBytes) / Double(heapBytes), 1)),
            ("slab", String(statistics.slabBytes)), ("slab_classes", String(holder.heap.genericCacheCount)),
            ("served_by_larger_class", String(statistics.servedByLargerClass)),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ]
    }
    holder.heap.trim()
}

// BuddyHeap scenarios (group "buddy"), each interleaved with glibc malloc/free and the peers that
// load (jemalloc, mimalloc, tcmalloc: best_peer= names the fastest) in one process:
// alloc/free pairs at 16 ... 4096 bytes, a larson-style random-replacement trace, the worst case
// of a pair on an empty heap (with and without the per-order cache), and fill-until-failure
// efficiency on a fixed-size heap. The heap's source is posix_memalign'd memory. The drivers are
// KernelHeapDrivers.swift's, shared with the slab scenarios.

#if canImport(Glibc)
import Glibc
#endif
import BuddyHeap
import TestSupport

/// Arenas and large regions from posix_memalign, optionally capped at a number of arenas.
struct PosixArenaSource: ArenaSource {
    var arenaLimit = Int.max
    var arenasOutstanding = 0

    mutating func allocateArena(byteCount: Int) -> UnsafeMutableRawPointer? {
        if arenasOutstanding >= arenaLimit { return nil }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, byteCount, byteCount) == 0 else { return nil }
        arenasOutstanding += 1
        return raw
    }

    mutating func releaseArena(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        arenasOutstanding -= 1
        Glibc.free(base)
    }

    mutating func allocateLarge(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        var raw: UnsafeMutableRawPointer?
        return posix_memalign(&raw, alignment, byteCount) == 0 ? raw : nil
    }

    mutating func releaseLarge(_ base: UnsafeMutableRawPointer, byteCount: Int) { Glibc.free(base) }
}

typealias BenchHeap = BuddyHeap<PosixArenaSource>

/// A buddy heap over posix_memalign'd arenas, optionally capped at `arenaLimit` arenas.
func makeBuddyHolder(_ configuration: HeapConfiguration = .kernel, arenaLimit: Int = Int.max) -> HeapHolder<BenchHeap> {
    do {
        return HeapHolder(try BenchHeap(source: PosixArenaSource(arenaLimit: arenaLimit), configuration: configuration))
    } catch {
        fatalError("bench configuration refused")
    }
}

func runBuddyPairScenario(size: Int) {
    let holder = makeBuddyHolder()
    runPairScenario(holder, size: size, scenario: "buddy_pair_\(size)", allocator: "buddyheap") {
        [("splits", String(holder.heap.statistics.splits))]
    }
}

// MARK: Empty heap

/// A 16-byte pair on an empty heap (nothing else live). With the cache the freed block waits
/// unmerged for the next allocation; without it every free merges at once.
func runBuddyEmptyPairScenario() {
    let holder = makeBuddyHolder()
    let comparison = comparePairs(holder, size: 16, count: 200_000)
    emitVersusGlibc(
        scenario: "buddy_empty_pair", allocator: "buddyheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free")] + splitMergeFields(holder.heap.statistics))
}

/// The textbook worst case, forced: the cache off and every free block below the 4 MiB one
/// pinned, so each 16-byte pair splits 18 times and merges 18 times.
func runBuddyFullDepthPairScenario() {
    var configuration = HeapConfiguration.kernel
    configuration.cachedOrderLimit = nil
    let holder = makeBuddyHolder(configuration)
    var pinned: [UnsafeMutableRawPointer] = []
    for order in 0 ..< 18 {
        // Each maximal free block of the fresh arena below order 18 is taken whole.
        if holder.heap.statistics.freeBlocks[BlockOrder(order)] > 0 {
            pinned.append(holder.heap.allocate(byteCount: BlockOrder(order).byteCount, alignment: 16)!)
        }
        if order == 0 && pinned.isEmpty { pinned.append(holder.heap.allocate(byteCount: 16, alignment: 16)!) }
    }
    let before = holder.heap.statistics
    let comparison = comparePairs(holder, size: 16, count: 50_000)
    var delta = holder.heap.statistics
    delta.splits -= before.splits
    delta.merges -= before.merges
    delta.allocations -= before.allocations
    delta.frees -= before.frees
    emitVersusGlibc(
        scenario: "buddy_full_depth_pair", allocator: "buddyheap-uncached", comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free")] + splitMergeFields(delta))
    for p in pinned { try? holder.heap.free(p) }
}

func splitMergeFields(_ statistics: HeapStatistics) -> [(String, String)] {
    [
        ("splits_per_pair", fixed(Double(statistics.splits) / Double(max(statistics.allocations, 1)))),
        ("merges_per_pair", fixed(Double(statistics.merges) / Double(max(statistics.frees, 1)))),
    ]
}

// MARK: Larson

func runBuddyLarsonScenario() {
    let holder = makeBuddyHolder()
    runLarsonScenario(holder, scenario: "buddy_larson", allocator: "buddyheap") {
        let statistics = holder.heap.statistics
        let internalFragmentation = 1 - Double(statistics.requestedBytesTotal) / Double(max(statistics.grantedBytesTotal, 1))
        return [
            ("internal_frag_pct", fixed(100 * internalFragmentation, 1)),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ]
    }
}

// MARK: Fill until failure

/// Fill until failure on 4 arenas; block bytes and the arenas' metadata as shares of the heap.
func runBuddyFillScenario() {
    let arenas = 4
    let holder = makeBuddyHolder(arenaLimit: arenas)
    let heapBytes = arenas * holder.heap.arenaBytes
    runFillScenario(holder, heapBytes: heapBytes, scenario: "buddy_fill", allocator: "buddyheap") {
        let statistics = holder.heap.statistics
        return [
            ("block_bytes_pct", fixed(100 * Double(statistics.liveBlockBytes) / Double(heapBytes), 1)),
            ("metadata_pct", fixed(100 * Double(statistics.metadataBytes) / Double(heapBytes), 2)),
        ]
    }
    holder.heap.trim()
}

func runBuddyHeapScenarios() {
    for size in [16, 64, 256, 1024, 4096] { runBuddyPairScenario(size: size) }
    runBuddyLarsonScenario()
    runBuddyEmptyPairScenario()
    runBuddyFullDepthPairScenario()
    runBuddyFillScenario()
}

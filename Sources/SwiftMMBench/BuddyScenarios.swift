// BuddyHeap scenarios (group "buddy"), each interleaved with glibc malloc/free and the peers that
// load (jemalloc, mimalloc, tcmalloc: best_peer= names the fastest) in one process:
// alloc/free pairs at 16 ... 4096 bytes, a larson-style random-replacement trace, the worst case
// of a pair on an empty heap (with and without the per-order cache), and fill-until-failure
// efficiency on a fixed-size heap. The heap's source is posix_memalign'd memory.

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

/// Holds a heap for the escaping contender closures; the timed loops take it inout.
final class HeapHolder {
    var heap: BenchHeap
    init(_ configuration: HeapConfiguration = .kernel, arenaLimit: Int = Int.max) {
        do {
            heap = try BenchHeap(source: PosixArenaSource(arenaLimit: arenaLimit), configuration: configuration)
        } catch {
            fatalError("bench configuration refused")
        }
    }
}

// MARK: Pairs

/// Where each timed loop stores its latest pointer, so that no malloc/free pair can be optimised
/// away (blackHole alone let the compiler delete glibc's pairs).
final class PointerSink {
    var last: UnsafeMutableRawPointer?
}

@inline(never) func buddyPairs(_ heap: inout BenchHeap, size: Int, count: Int, _ sink: PointerSink) {
    for _ in 0 ..< count {
        let p = heap.allocate(byteCount: size, alignment: 16).unsafelyUnwrapped
        p.storeBytes(of: 1, as: UInt8.self)
        sink.last = p
        try? heap.free(p)
    }
}

/// Pairs through a peer loaded with dlopen (jemalloc, mimalloc, tcmalloc).
@inline(never) func peerPairs(_ peer: CAllocator, size: Int, count: Int, _ sink: PointerSink) {
    for _ in 0 ..< count {
        let p = peer.malloc(size).unsafelyUnwrapped
        p.storeBytes(of: 1, as: UInt8.self)
        sink.last = p
        peer.free(p)
    }
}

/// The peers other than glibc (glibc is called directly, as before), loaded once.
let kernelHeapPeers: [CAllocator] = loadCAllocators().filter { $0.name != "glibc" }
let kernelHeapPeerNames = ["glibc"] + kernelHeapPeers.map(\.name)

/// Contenders for the peers of a pair scenario.
func peerPairContenders(size: Int, count: Int, _ sink: PointerSink) -> [Contender] {
    kernelHeapPeers.map { peer in Contender(name: peer.name) { peerPairs(peer, size: size, count: count, sink) } }
}

@inline(never) func glibcPairs(size: Int, count: Int, _ sink: PointerSink) {
    for _ in 0 ..< count {
        let p = malloc(size).unsafelyUnwrapped
        p.storeBytes(of: 1, as: UInt8.self)
        sink.last = p
        Glibc.free(p)
    }
}

/// Pairs with live neighbours: 64 blocks of mixed sizes stay allocated around the timed pairs.
func runBuddyPairScenario(size: Int) {
    let holder = HeapHolder()
    let count = 200_000
    var neighbours: [UnsafeMutableRawPointer] = []
    var glibcNeighbours: [UnsafeMutableRawPointer] = []
    for index in 0 ..< 64 {
        neighbours.append(holder.heap.allocate(byteCount: 16 << (index % 8), alignment: 16)!)
        glibcNeighbours.append(malloc(16 << (index % 8))!)
    }
    let sink = PointerSink()
    let comparison = compare(
        [
            Contender(name: "swiftmm") { buddyPairs(&holder.heap, size: size, count: count, sink) },
            Contender(name: "glibc") { glibcPairs(size: size, count: count, sink) },
        ] + peerPairContenders(size: size, count: count, sink), operations: count)
    emitVersusGlibc(
        scenario: "buddy_pair_\(size)", allocator: "buddyheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free"), ("splits", String(holder.heap.statistics.splits))])
    for p in neighbours { try? holder.heap.free(p) }
    for p in glibcNeighbours { Glibc.free(p) }
}

// MARK: Empty heap

/// A 16-byte pair on an empty heap (nothing else live). With the cache the freed block waits
/// unmerged for the next allocation; without it every free merges at once.
func runBuddyEmptyPairScenario() {
    let holder = HeapHolder()
    let count = 200_000
    let sink = PointerSink()
    let comparison = compare(
        [
            Contender(name: "swiftmm") { buddyPairs(&holder.heap, size: 16, count: count, sink) },
            Contender(name: "glibc") { glibcPairs(size: 16, count: count, sink) },
        ] + peerPairContenders(size: 16, count: count, sink), operations: count)
    emitVersusGlibc(
        scenario: "buddy_empty_pair", allocator: "buddyheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free")] + splitMergeFields(holder.heap.statistics))
}

/// The textbook worst case, forced: the cache off and every free block below the 4 MiB one
/// pinned, so each 16-byte pair splits 18 times and merges 18 times.
func runBuddyFullDepthPairScenario() {
    var configuration = HeapConfiguration.kernel
    configuration.cachedOrderLimit = nil
    let holder = HeapHolder(configuration)
    var pinned: [UnsafeMutableRawPointer] = []
    for order in 0 ..< 18 {
        // Each maximal free block of the fresh arena below order 18 is taken whole.
        if holder.heap.statistics.freeBlocks[BlockOrder(order)] > 0 {
            pinned.append(holder.heap.allocate(byteCount: BlockOrder(order).byteCount, alignment: 16)!)
        }
        if order == 0 && pinned.isEmpty { pinned.append(holder.heap.allocate(byteCount: 16, alignment: 16)!) }
    }
    let before = holder.heap.statistics
    let count = 50_000
    let sink = PointerSink()
    let comparison = compare(
        [
            Contender(name: "swiftmm") { buddyPairs(&holder.heap, size: 16, count: count, sink) },
            Contender(name: "glibc") { glibcPairs(size: 16, count: count, sink) },
        ] + peerPairContenders(size: 16, count: count, sink), operations: count)
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

/// A pre-generated random-replacement trace: step i frees slot[i] (if live) and puts a fresh
/// block of size[i] (8 ... 999 bytes) there. Kept in raw buffers, outside the timed loop.
struct LarsonTrace {
    let slots: UnsafeMutableBufferPointer<Int32>
    let sizes: UnsafeMutableBufferPointer<Int32>
    static let slotCount = 1000

    init(steps: Int, seed: UInt64) {
        slots = .allocate(capacity: steps)
        sizes = .allocate(capacity: steps)
        var random = SeededGenerator(seed: seed)
        for index in 0 ..< steps {
            slots[index] = Int32(random.next() % UInt64(Self.slotCount))
            sizes[index] = Int32(8 + random.next() % 992)
        }
    }
}

/// Live blocks of one contender: pointer, size and pattern byte per slot, in raw buffers.
final class LarsonSlots {
    let pointers = UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>.allocate(capacity: LarsonTrace.slotCount)
    let sizes = UnsafeMutableBufferPointer<Int>.allocate(capacity: LarsonTrace.slotCount)
    var corrupt = 0
    init() {
        pointers.initialize(repeating: nil)
        sizes.initialize(repeating: 0)
    }
}

/// Touch: write the first and last byte with a pattern derived from the step; verify before free.
@inline(__always) func larsonVerify(_ p: UnsafeMutableRawPointer, size: Int) -> Bool {
    p.load(as: UInt8.self) == UInt8(truncatingIfNeeded: size) && p.load(fromByteOffset: size - 1, as: UInt8.self) == 0x5A
}

@inline(__always) func larsonTouch(_ p: UnsafeMutableRawPointer, size: Int) {
    p.storeBytes(of: UInt8(truncatingIfNeeded: size), as: UInt8.self)
    p.storeBytes(of: 0x5A, toByteOffset: size - 1, as: UInt8.self)
}

@inline(never) func buddyLarson(_ heap: inout BenchHeap, _ trace: LarsonTrace, _ live: LarsonSlots) {
    for step in 0 ..< trace.slots.count {
        let slot = Int(trace.slots[step])
        if let old = live.pointers[slot] {
            if !larsonVerify(old, size: live.sizes[slot]) { live.corrupt += 1 }
            try? heap.free(old)
        }
        let size = Int(trace.sizes[step])
        let p = heap.allocate(byteCount: size, alignment: 16).unsafelyUnwrapped
        larsonTouch(p, size: size)
        live.pointers[slot] = p
        live.sizes[slot] = size
    }
}

@inline(never) func glibcLarson(_ trace: LarsonTrace, _ live: LarsonSlots) {
    for step in 0 ..< trace.slots.count {
        let slot = Int(trace.slots[step])
        if let old = live.pointers[slot] {
            if !larsonVerify(old, size: live.sizes[slot]) { live.corrupt += 1 }
            Glibc.free(old)
        }
        let size = Int(trace.sizes[step])
        let p = malloc(size).unsafelyUnwrapped
        larsonTouch(p, size: size)
        live.pointers[slot] = p
        live.sizes[slot] = size
    }
}

@inline(never) func peerLarson(_ peer: CAllocator, _ trace: LarsonTrace, _ live: LarsonSlots) {
    for step in 0 ..< trace.slots.count {
        let slot = Int(trace.slots[step])
        if let old = live.pointers[slot] {
            if !larsonVerify(old, size: live.sizes[slot]) { live.corrupt += 1 }
            peer.free(old)
        }
        let size = Int(trace.sizes[step])
        let p = peer.malloc(size).unsafelyUnwrapped
        larsonTouch(p, size: size)
        live.pointers[slot] = p
        live.sizes[slot] = size
    }
}

func runBuddyLarsonScenario() {
    let steps = 200_000
    let trace = LarsonTrace(steps: steps, seed: 0x1A75_0001)
    let holder = HeapHolder()
    let ours = LarsonSlots()
    let theirs = LarsonSlots()
    let peerSlots = kernelHeapPeers.map { _ in LarsonSlots() }
    let comparison = compare(
        [
            Contender(name: "swiftmm") { buddyLarson(&holder.heap, trace, ours) },
            Contender(name: "glibc") { glibcLarson(trace, theirs) },
        ]
            + kernelHeapPeers.indices.map { index in
                Contender(name: kernelHeapPeers[index].name) { peerLarson(kernelHeapPeers[index], trace, peerSlots[index]) }
            }, operations: steps)
    let statistics = holder.heap.statistics
    let internalFragmentation = 1 - Double(statistics.requestedBytesTotal) / Double(max(statistics.grantedBytesTotal, 1))
    emitVersusGlibc(
        scenario: "buddy_larson", allocator: "buddyheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [
            ("op", "free+alloc"), ("slots", String(LarsonTrace.slotCount)), ("sizes", "8-999"),
            ("corrupt", String(peerSlots.reduce(ours.corrupt + theirs.corrupt) { $0 + $1.corrupt })),
            ("internal_frag_pct", fixed(100 * internalFragmentation, 1)),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ])
    for slot in 0 ..< LarsonTrace.slotCount {
        if let p = ours.pointers[slot] { try? holder.heap.free(p) }
        if let p = theirs.pointers[slot] { Glibc.free(p) }
        for (index, peer) in kernelHeapPeers.enumerated() { if let p = peerSlots[index].pointers[slot] { peer.free(p) } }
    }
}

// MARK: Fill until failure

/// Allocates random sizes (16 ... 4096 bytes) from a heap capped at `arenas` arenas until the
/// first failure; efficiency = bytes requested live at that moment / bytes taken from the source.
func runBuddyFillScenario() {
    let arenas = 4
    let holder = HeapHolder(.kernel, arenaLimit: arenas)
    var random = SeededGenerator(seed: 0xF111)
    var held: [UnsafeMutableRawPointer] = []
    var requested = 0
    let start = monotonicNanoseconds()
    while true {
        let size = 16 + Int(random.next() % 4081)
        guard let p = holder.heap.allocate(byteCount: size, alignment: 16) else { break }
        held.append(p)
        requested += size
    }
    let elapsed = monotonicNanoseconds() - start
    let heapBytes = arenas * holder.heap.arenaBytes
    let statistics = holder.heap.statistics
    emitBenchLine(
        scenario: "buddy_fill",
        [
            ("allocator", "buddyheap"),
            ("ns_per_op", fixed(Double(elapsed) / Double(held.count + 1))),
            ("efficiency_pct", fixed(100 * Double(requested) / Double(heapBytes), 1)),
            ("block_bytes_pct", fixed(100 * Double(statistics.liveBlockBytes) / Double(heapBytes), 1)),
            ("metadata_pct", fixed(100 * Double(statistics.metadataBytes) / Double(heapBytes), 2)),
            ("heap_bytes", String(heapBytes)),
            ("allocations", String(held.count)),
            ("sizes", "16-4096"),
        ])
    for p in held { try? holder.heap.free(p) }
    holder.heap.trim()
}

func runBuddyHeapScenarios() {
    for size in [16, 64, 256, 1024, 4096] { runBuddyPairScenario(size: size) }
    runBuddyLarsonScenario()
    runBuddyEmptyPairScenario()
    runBuddyFullDepthPairScenario()
    runBuddyFillScenario()
}

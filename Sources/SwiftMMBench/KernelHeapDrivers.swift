// The kernel-heap scenario drivers, written once for any heap under test (BuddyHeap and the
// SlabHeap over it): alloc/free pairs among live neighbours, the larson random-replacement trace
// and fill-until-failure, each interleaved with glibc and the peers that load (jemalloc,
// mimalloc, tcmalloc: best_peer= names the fastest) in one process. BuddyScenarios.swift and
// SlabScenarios.swift choose the heap, the scenario names and their own extra fields.

#if canImport(Glibc)
import Glibc
#endif
import BuddyHeap
import SlabHeap
import TestSupport

/// What the drivers need of a kernel heap: allocate, and free naming a misuse.
protocol KernelHeapUnderTest {
    mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer?
    mutating func free(_ pointer: UnsafeMutableRawPointer) throws(HeapError)
}

extension BuddyHeap: KernelHeapUnderTest {}
extension SlabHeap: KernelHeapUnderTest {}

/// Holds a heap for the escaping contender closures; the timed loops take it inout.
final class HeapHolder<Heap: KernelHeapUnderTest> {
    var heap: Heap
    init(_ heap: Heap) { self.heap = heap }
}

/// Where each timed loop stores its latest pointer, so that no malloc/free pair can be optimised
/// away (blackHole alone let the compiler delete glibc's pairs).
final class PointerSink {
    var last: UnsafeMutableRawPointer?
}

// MARK: Pairs

@inline(never) func heapPairs<Heap: KernelHeapUnderTest>(_ heap: inout Heap, size: Int, count: Int, _ sink: PointerSink) {
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

@inline(never) func glibcPairs(size: Int, count: Int, _ sink: PointerSink) {
    for _ in 0 ..< count {
        let p = malloc(size).unsafelyUnwrapped
        p.storeBytes(of: 1, as: UInt8.self)
        sink.last = p
        Glibc.free(p)
    }
}

/// The peers other than glibc (glibc is called directly, as before), loaded once.
let kernelHeapPeers: [CAllocator] = loadCAllocators().filter { $0.name != "glibc" }
let kernelHeapPeerNames = ["glibc"] + kernelHeapPeers.map(\.name)

/// Contenders for the peers of a pair scenario.
func peerPairContenders(size: Int, count: Int, _ sink: PointerSink) -> [Contender] {
    kernelHeapPeers.map { peer in Contender(name: peer.name) { peerPairs(peer, size: size, count: count, sink) } }
}

/// `count` timed pairs of `size` bytes on `holder`'s heap, glibc's and each peer's, interleaved.
func comparePairs<Heap: KernelHeapUnderTest>(_ holder: HeapHolder<Heap>, size: Int, count: Int) -> Comparison {
    let sink = PointerSink()
    return compare(
        [
            Contender(name: "swiftmm") { heapPairs(&holder.heap, size: size, count: count, sink) },
            Contender(name: "glibc") { glibcPairs(size: size, count: count, sink) },
        ] + peerPairContenders(size: size, count: count, sink), operations: count)
}

/// Pairs with live neighbours: 64 blocks of mixed sizes stay allocated around the timed pairs
/// (on every contender's heap). `extra` is read after the timed rounds.
func runPairScenario<Heap: KernelHeapUnderTest>(
    _ holder: HeapHolder<Heap>, size: Int, scenario: String, allocator: String, extra: () -> [(String, String)]
) {
    let count = 200_000
    var neighbours: [UnsafeMutableRawPointer] = []
    var glibcNeighbours: [UnsafeMutableRawPointer] = []
    for index in 0 ..< 64 {
        neighbours.append(holder.heap.allocate(byteCount: 16 << (index % 8), alignment: 16)!)
        glibcNeighbours.append(malloc(16 << (index % 8))!)
    }
    let comparison = comparePairs(holder, size: size, count: count)
    emitVersusGlibc(
        scenario: scenario, allocator: allocator, comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free")] + extra())
    for p in neighbours { try? holder.heap.free(p) }
    for p in glibcNeighbours { Glibc.free(p) }
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

// The three replay loops stay written out: passed as closures to one loop, allocate and free
// were not inlined (callgrind: +20 % instructions per larson step for the slab heap, +3 % for
// glibc).

@inline(never) func heapLarson<Heap: KernelHeapUnderTest>(_ heap: inout Heap, _ trace: LarsonTrace, _ live: LarsonSlots) {
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

/// The larson trace (200 000 steps, 1 000 slots) on `holder`'s heap, glibc and each peer,
/// interleaved; `extra` is read after the timed rounds, before the live blocks are freed.
func runLarsonScenario<Heap: KernelHeapUnderTest>(
    _ holder: HeapHolder<Heap>, scenario: String, allocator: String, extra: () -> [(String, String)]
) {
    let steps = 200_000
    let trace = LarsonTrace(steps: steps, seed: 0x1A75_0001)
    let ours = LarsonSlots()
    let theirs = LarsonSlots()
    let peerSlots = kernelHeapPeers.map { _ in LarsonSlots() }
    let comparison = compare(
        [
            Contender(name: "swiftmm") { heapLarson(&holder.heap, trace, ours) },
            Contender(name: "glibc") { glibcLarson(trace, theirs) },
        ]
            + kernelHeapPeers.indices.map { index in
                Contender(name: kernelHeapPeers[index].name) { peerLarson(kernelHeapPeers[index], trace, peerSlots[index]) }
            }, operations: steps)
    emitVersusGlibc(
        scenario: scenario, allocator: allocator, comparison, peerNames: kernelHeapPeerNames,
        extra: [
            ("op", "free+alloc"), ("slots", String(LarsonTrace.slotCount)), ("sizes", "8-999"),
            ("corrupt", String(peerSlots.reduce(ours.corrupt + theirs.corrupt) { $0 + $1.corrupt })),
        ] + extra())
    for slot in 0 ..< LarsonTrace.slotCount {
        if let p = ours.pointers[slot] { try? holder.heap.free(p) }
        if let p = theirs.pointers[slot] { Glibc.free(p) }
        for (index, peer) in kernelHeapPeers.enumerated() { if let p = peerSlots[index].pointers[slot] { peer.free(p) } }
    }
}

// MARK: Fill until failure

/// Random sizes (16 ... 4096 bytes) from a heap whose source is capped at `heapBytes` until the
/// first failure; efficiency = bytes requested live at that moment / `heapBytes`. `extra` is read
/// at the failure, before everything is freed.
func runFillScenario<Heap: KernelHeapUnderTest>(
    _ holder: HeapHolder<Heap>, heapBytes: Int, scenario: String, allocator: String, extra: () -> [(String, String)]
) {
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
    emitBenchLine(
        scenario: scenario,
        [
            ("allocator", allocator),
            ("ns_per_op", fixed(Double(elapsed) / Double(held.count + 1))),
            ("efficiency_pct", fixed(100 * Double(requested) / Double(heapBytes), 1)),
        ] + extra() + [("heap_bytes", String(heapBytes)), ("allocations", String(held.count)), ("sizes", "16-4096")])
    for p in held { try? holder.heap.free(p) }
}

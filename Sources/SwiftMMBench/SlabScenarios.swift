// SlabHeap scenarios (group "buddy", beside the buddy heap's own): the kernel heap as the kernel
// now runs it, a slab layer over the buddy heap, on the same pairs, larson trace and
// fill-until-failure heap as the buddy scenarios, interleaved with glibc and the peers that load.

#if canImport(Glibc)
import Glibc
#endif
import BuddyHeap
import SlabHeap
import TestSupport

typealias BenchSlabHeap = SlabHeap<PosixArenaSource>

/// Holds a slab heap (kernel configuration) for the escaping contender closures.
final class SlabHolder {
    var heap: BenchSlabHeap
    init(arenaLimit: Int = Int.max) {
        do {
            let buddy = try BuddyHeap(source: PosixArenaSource(arenaLimit: arenaLimit), configuration: .kernel)
            heap = try BenchSlabHeap(buddy: buddy, configuration: SlabConfiguration(secret: 0x51AB_5EC2_E700_0001))
        } catch {
            fatalError("bench slab configuration refused")
        }
    }
}

@inline(never) func slabPairs(_ heap: inout BenchSlabHeap, size: Int, count: Int, _ sink: PointerSink) {
    for _ in 0 ..< count {
        let p = heap.allocate(byteCount: size, alignment: 16).unsafelyUnwrapped
        p.storeBytes(of: 1, as: UInt8.self)
        sink.last = p
        try? heap.free(p)
    }
}

/// Pairs with 64 live neighbours of mixed sizes, as runBuddyPairScenario.
func runSlabPairScenario(size: Int) {
    let holder = SlabHolder()
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
            Contender(name: "swiftmm") { slabPairs(&holder.heap, size: size, count: count, sink) },
            Contender(name: "glibc") { glibcPairs(size: size, count: count, sink) },
        ] + peerPairContenders(size: size, count: count, sink), operations: count)
    emitVersusGlibc(
        scenario: "slab_pair_\(size)", allocator: "slabheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [("op", "alloc+free"), ("slabs", String(holder.heap.statistics.slabsHeld))])
    for p in neighbours { try? holder.heap.free(p) }
    for p in glibcNeighbours { Glibc.free(p) }
}

@inline(never) func slabLarson(_ heap: inout BenchSlabHeap, _ trace: LarsonTrace, _ live: LarsonSlots) {
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

func runSlabLarsonScenario() {
    let steps = 200_000
    let trace = LarsonTrace(steps: steps, seed: 0x1A75_0001)
    let holder = SlabHolder()
    let ours = LarsonSlots()
    let theirs = LarsonSlots()
    let peerSlots = kernelHeapPeers.map { _ in LarsonSlots() }
    let comparison = compare(
        [
            Contender(name: "swiftmm") { slabLarson(&holder.heap, trace, ours) },
            Contender(name: "glibc") { glibcLarson(trace, theirs) },
        ]
            + kernelHeapPeers.indices.map { index in
                Contender(name: kernelHeapPeers[index].name) { peerLarson(kernelHeapPeers[index], trace, peerSlots[index]) }
            }, operations: steps)
    emitVersusGlibc(
        scenario: "slab_larson", allocator: "slabheap", comparison, peerNames: kernelHeapPeerNames,
        extra: [
            ("op", "free+alloc"), ("slots", String(LarsonTrace.slotCount)), ("sizes", "8-999"),
            ("corrupt", String(peerSlots.reduce(ours.corrupt + theirs.corrupt) { $0 + $1.corrupt })),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ])
    for slot in 0 ..< LarsonTrace.slotCount {
        if let p = ours.pointers[slot] { try? holder.heap.free(p) }
        if let p = theirs.pointers[slot] { Glibc.free(p) }
        for (index, peer) in kernelHeapPeers.enumerated() { if let p = peerSlots[index].pointers[slot] { peer.free(p) } }
    }
}

/// As runBuddyFillScenario (random sizes 16 ... 4096 until the first failure, 4 arenas), through
/// the slab layer: efficiency = bytes requested live at the failure / bytes of the arenas.
func runSlabFillScenario() {
    let arenas = 4
    let holder = SlabHolder(arenaLimit: arenas)
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
    let heapBytes = arenas * holder.heap.buddy.arenaBytes
    let statistics = holder.heap.statistics
    emitBenchLine(
        scenario: "slab_fill",
        [
            ("allocator", "slabheap"),
            ("ns_per_op", fixed(Double(elapsed) / Double(held.count + 1))),
            ("efficiency_pct", fixed(100 * Double(requested) / Double(heapBytes), 1)),
            ("object_bytes_pct", fixed(100 * Double(statistics.liveObjectBytes) / Double(heapBytes), 1)),
            ("slab_bytes_pct", fixed(100 * Double(statistics.slabsHeld * statistics.slabBytes) / Double(heapBytes), 1)),
            ("served_by_larger_class", String(statistics.servedByLargerClass)),
            ("heap_bytes", String(heapBytes)),
            ("allocations", String(held.count)),
            ("sizes", "16-4096"),
            ("invariants", holder.heap.checkInvariants() == nil ? "ok" : "BROKEN"),
        ])
    for p in held { try? holder.heap.free(p) }
    holder.heap.trim()
}

func runSlabHeapScenarios() {
    for size in [16, 64, 256, 1024, 4096] { runSlabPairScenario(size: size) }
    runSlabLarsonScenario()
    runSlabFillScenario()
}

// The slab layer against a reference model: random allocations (slab classes, named caches,
// direct buddy requests), valid frees and every kind of bad free, with checkInvariants() after
// every operation. The model keeps each live pointer's size and the pattern written into it, so
// an overlap or a lost object shows up as a damaged pattern; a bad free must throw the exact error
// and change nothing. SLAB_STEPS=n shortens each session while developing.
#if canImport(Glibc)
import Glibc
#endif
import BuddyHeap
import MemoryCore
@testable import SlabHeap
import TestSupport
import Testing

typealias TestSlabHeap = SlabHeap<RecordingArenaSource>

/// A small heap, so the O(heap) checker stays cheap: 32 KiB arenas, 1 KiB slabs, classes to 128.
func makeSmallSlabHeap() throws -> TestSlabHeap {
    let buddy = try BuddyHeap(
        source: RecordingArenaSource(), configuration: HeapConfiguration(arenaShift: 15, cachedOrderLimit: BlockOrder(3)))
    return try SlabHeap(
        buddy: buddy, configuration: SlabConfiguration(slabShift: 10, largestClassBytes: 128, secret: 0x5EC2_E7C0_FFEE_1234))
}

struct SlabSession {
    var heap: TestSlabHeap
    var rng: SeededGenerator
    var live: [UInt: (size: Int, pattern: UInt8)] = [:]
    /// The live pointers again, as an array: a random pick is O(1) (a dictionary's keys are not).
    var liveKeys: [UInt] = []
    var recentlyFreed: [UnsafeMutableRawPointer] = []
    var named: SlabCacheID
    var errorsSeen: [String: Int] = [:]
    var failed = false

    init(seed: UInt64) throws {
        heap = try makeSmallSlabHeap()
        rng = SeededGenerator(seed: seed)
        named = heap.createCache(name: "test-records", objectBytes: 40)!
    }

    mutating func fail(_ message: Comment, _ step: Int) {
        Issue.record("step \(step): \(message)")
        failed = true
    }

    mutating func run(steps: Int) {
        for step in 0 ..< steps where !failed {
            let roll = Int.random(in: 0 ..< 100, using: &rng)
            let filling = (step / 600) % 2 == 0
            if roll < (filling ? 55 : 35) || live.isEmpty {
                allocate(step)
            } else if roll < 90 {
                freeLive(step)
            } else {
                badFree(step)
            }
            // The slab layer after every operation; the buddy heap's O(arena) walk (its own tests
            // run it after every operation) every 1000.
            if let violation = heap.checkInvariants(buddy: step % 1000 == 0 ? .included : .skipped) {
                fail("invariant: \(violation)", step)
            }
        }
    }

    mutating func allocate(_ step: Int) {
        let kind = Int.random(in: 0 ..< 20, using: &rng)
        let size: Int
        let pointer: UnsafeMutableRawPointer?
        if kind == 0 {
            size = 40
            pointer = heap.allocate(from: named)
        } else {
            size = kind == 1 ? Int.random(in: 129 ... 3000, using: &rng) : Int.random(in: 0 ... 128, using: &rng)
            let alignment = kind == 2 ? 64 : 16
            pointer = heap.allocate(byteCount: size, alignment: alignment)
            if let pointer, UInt(bitPattern: pointer) % UInt(alignment) != 0 { fail("misaligned result", step) }
        }
        guard let pointer else { return fail("allocation of \(size) failed", step) }
        if live[UInt(bitPattern: pointer)] != nil { fail("live pointer handed out twice", step) }
        let pattern = UInt8.random(in: 1 ... 255, using: &rng)
        pointer.initializeMemory(as: UInt8.self, repeating: pattern, count: size)
        live[UInt(bitPattern: pointer)] = (size, pattern)
        liveKeys.append(UInt(bitPattern: pointer))
        if let index = recentlyFreed.firstIndex(of: pointer) { recentlyFreed.remove(at: index) }
    }

    mutating func freeLive(_ step: Int) {
        let position = Int.random(in: 0 ..< liveKeys.count, using: &rng)
        let key = liveKeys[position]
        liveKeys.swapAt(position, liveKeys.count - 1)
        liveKeys.removeLast()
        let (size, pattern) = live.removeValue(forKey: key)!
        let pointer = UnsafeMutableRawPointer(bitPattern: key)!
        for offset in 0 ..< size where pointer.load(fromByteOffset: offset, as: UInt8.self) != pattern {
            return fail("pattern damaged at +\(offset) of a \(size)-byte object", step)
        }
        do { try heap.free(pointer) } catch { fail("valid free threw \(error)", step) }
        recentlyFreed.append(pointer)
        if recentlyFreed.count > 16 { recentlyFreed.removeFirst() }
    }

    /// A bad free of one kind: must throw that error and change nothing.
    mutating func badFree(_ step: Int) {
        let before = heap.statistics
        let liveKey = liveKeys.randomElement(using: &rng)
        var pointer: UnsafeMutableRawPointer
        let expected: String
        switch Int.random(in: 0 ..< 4, using: &rng) {
        case 0:
            guard let freed = recentlyFreed.randomElement(using: &rng) else { return }
            pointer = freed
            expected = "double"
        case 1:
            guard let key = liveKey, live[key]!.size > 16 else { return }
            pointer = UnsafeMutableRawPointer(bitPattern: key + 16)!
            expected = heap.isSlabObject(pointer) ? "interior" : "interior-or-unallocated"
        case 2:
            guard let key = liveKey else { return }
            pointer = UnsafeMutableRawPointer(bitPattern: key + 8)!
            expected = "misaligned"
        default:
            pointer = malloc(64)!
            expected = "foreign"
        }
        defer { if expected == "foreign" { Glibc.free(pointer) } }
        do {
            try heap.free(pointer)
            fail("bad free (\(expected)) accepted", step)
        } catch {
            let kind: String
            switch error {
            case .misuse(.doubleFree): kind = "double"
            case .misuse(.interiorPointer): kind = "interior"
            case .misuse(.misalignedPointer): kind = "misaligned"
            case .misuse(.foreignPointer): kind = "foreign"
            case .misuse(.neverAllocated): kind = "interior-or-unallocated"
            case .heapMetadataPointer: kind = "metadata"
            }
            // A pointer 8 bytes into a 16-byte buddy block start is misaligned for both layers;
            // 16 bytes into a direct buddy block may land on a free or allocated sub-block.
            // A pointer freed before may lie in memory handed out again since (a new slab's header,
            // another object, a released arena): any refusal is right for it.
            let accepted =
                kind == expected || expected == "double" || (expected == "interior-or-unallocated" && kind == "interior")
                || (expected == "misaligned" && kind == "interior")
            if !accepted { fail("bad free (\(expected)) threw \(error)", step) }
            errorsSeen[expected, default: 0] += 1
        }
        let after = heap.statistics
        if after.liveObjects != before.liveObjects || after.slabsHeld != before.slabsHeld {
            fail("a refused free changed the heap", step)
        }
    }

    /// Frees everything and trims: no slab and no arena may be left.
    mutating func drain(_ step: Int) {
        while !live.isEmpty && !failed { freeLive(step) }
        heap.trim()
        if heap.statistics.slabsHeld != 0 || heap.buddy.statistics.arenasHeld != 0 {
            fail(
                "memory left after trim: \(heap.statistics.slabsHeld) slabs, \(heap.buddy.statistics.arenasHeld) arenas, \(heap.buddy.statistics.liveAllocations) buddy allocations",
                step)
        }
    }
}

@Suite struct SlabHeapRandomTests {
    /// 4 x 250 000 operations (1 000 000 in all), each followed by checkInvariants().
    @Test(arguments: [UInt64(0x51AB_0001), 0x51AB_0002, 0x51AB_0003, 0x51AB_0004])
    func randomOperationsAgainstAModel(seed: UInt64) throws {
        var session = try SlabSession(seed: seed)
        session.run(steps: Int(getenv("SLAB_STEPS").map { String(cString: $0) } ?? "250000")!)
        session.drain(250_000)
        for kind in ["double", "misaligned", "foreign"] {
            #expect(
                session.errorsSeen[kind, default: 0] >= 100, "bad free \(kind) seen \(session.errorsSeen[kind, default: 0]) times"
            )
        }
        #expect(session.errorsSeen["interior", default: 0] + session.errorsSeen["interior-or-unallocated", default: 0] >= 100)
    }
}

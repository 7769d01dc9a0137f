// The inline fast paths (BuddyCore+FastPaths) against the general paths they shortcut: the
// cacheable-order test against `route`, the top-down block lookup against the leaf walk on every
// offset of randomly filled arenas, and every invalid free through a heap whose fast path is
// armed (cache on, the pointer's arena the recent one) still rejected with nothing changed.

import Testing
import MemoryCore
import TestSupport
@testable import BuddyHeap

@Suite struct FastPathTests {
    static let byteCounts = Array(-3 ... 300) + [1000, 2040, 2048, 2049, 4088, 4096, 4097, 1 << 40, Int.max, Int.min]
    static let alignments = [
        Int.min, -16, -1, 0, 1, 2, 3, 8, 16, 24, 32, 48, 64, 128, 256, 512, 1024, 2048, 4096,
        8192, 1 << 40, Int.max,
    ]

    @Test(arguments: [nil, BlockOrder(0), BlockOrder(3), BlockOrder(8)], [AllocationTrailer.none, .requestedSizeAndRedZone])
    func cacheableOrderMatchesRoute(cachedOrderLimit: BlockOrder?, trailer: AllocationTrailer) {
        let heap = makeHeap(arenaShift: 14, cachedOrderLimit: cachedOrderLimit, trailer: trailer)
        let limit = cachedOrderLimit?.raw ?? -1
        var cacheable = 0
        for byteCount in Self.byteCounts {
            for alignment in Self.alignments {
                var expected: Int?
                if case .block(let order) = heap.core.route(byteCount: byteCount, alignment: alignment), order.raw <= limit {
                    expected = order.raw
                }
                let found = heap.core.cacheableOrder(byteCount: byteCount, alignment: alignment)
                #expect(found == expected, "size \(byteCount) alignment \(alignment)")
                if found != nil { cacheable += 1 }
            }
        }
        #expect((cacheable > 0) == (cachedOrderLimit != nil))
    }

    /// After each step of a seeded random sequence, every 16-byte offset of the arena and every
    /// hint give the block the leaf walk finds when that block starts at the offset, else nil.
    @Test(arguments: [10, 12])
    func topDownLookupMatchesTheLeafWalk(arenaShift: Int) {
        var heap = makeHeap(arenaShift: arenaShift, cachedOrderLimit: BlockOrder(2), cacheCapacity: 2, retained: 4)
        var random = SeededGenerator(seed: 0xB0DD_0000 + UInt64(arenaShift))
        var live: [UnsafeMutableRawPointer] = []
        let geometry = heap.core.geometry
        var checkedOffsets = 0
        for step in 0 ..< 300 {
            if live.isEmpty || (live.count < 40 && random.next() % 3 != 0) {
                if let p = heap.allocate(byteCount: 16 << Int(random.next() % UInt64(geometry.largestBlockOrder)), alignment: 16)
                {
                    live.append(p)
                }
            } else {
                mustFree(&heap, live.remove(at: Int(random.next() % UInt64(live.count))))
            }
            if step % 5 != 0 { continue }
            expectValid(heap)
            for base in heap.source.ledger.outstandingArenas.map({ VirtualAddress(UInt64($0.base)) }) {
                var offset = geometry.reservedBytes
                while offset < geometry.arenaBytes {
                    let walked = heap.core.blockContaining(offset: offset, arena: base)
                    let startsHere = geometry.offset(node: walked.node, order: walked.order) == offset
                    for hint in 0 ... geometry.rootOrder + 1 {
                        let found = heap.core.blockStarting(at: offset, arena: base, likelyOrder: hint)
                        #expect(found?.node == (startsHere ? walked.node : nil))
                        #expect(found?.order == (startsHere ? walked.order : nil))
                        #expect(found?.state == (startsHere ? walked.state : nil))
                    }
                    checkedOffsets += 1
                    offset += UInt64(minimumBlockBytes)
                }
            }
        }
        #expect(checkedOffsets > 1000)
    }

    /// The fast free is armed (cache on, a free into the same arena just happened) for every
    /// invalid pointer below; each must still get its own error with nothing changed.
    @Test func invalidFreesWithTheFastPathArmed() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(6), cacheCapacity: 8)
        let keep = mustAllocate(&heap, 16)
        let big = mustAllocate(&heap, 256)
        let cached = mustAllocate(&heap, 64)
        mustFree(&heap, cached)
        #expect(heap.statistics.cachedBlocks[BlockOrder(2)] == 1)
        let cases: [(UnsafeMutableRawPointer, HeapError)] = [
            (cached, .doubleFree(address(cached))),
            (big + 16, .interiorPointer(address(big + 16), blockStart: address(big))),
            (big + 128, .interiorPointer(address(big + 128), blockStart: address(big))),
            (big + 8, .misalignedPointer(address(big + 8))),
            (cached + 16, .neverAllocated(address(cached + 16))),
            (onlyArenaBase(heap) + 32, .heapMetadataPointer(address(onlyArenaBase(heap) + 32))),
        ]
        for (pointer, expected) in cases {
            let before = HeapSnapshot(heap)
            #expect(freeError(&heap, pointer) == expected)
            #expect(HeapSnapshot(heap) == before.withInvalidFrees(1))
            expectValid(heap)
        }
        mustFree(&heap, big)
        #expect(heap.statistics.cachedBlocks[BlockOrder(4)] == 1)
        // The last live block: the arena becomes the one retained empty arena.
        mustFree(&heap, keep)
        expectValid(heap)
        #expect(heap.statistics.liveAllocations == 0 && heap.statistics.emptyArenasHeld == 1)
        #expect(heap.statistics.cachedBlocks[BlockOrder(0)] == 1 && heap.statistics.arenasHeld == 1)
    }

    /// Emptying an arena frees onto the cache while the empty arenas stay within the retained
    /// count, and takes the releasing path (drain, coalesce, hand back) once they would not.
    @Test(arguments: [0, 1, 2])
    func emptyingArenasRespectsTheRetainedCount(retained: Int) {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3), cacheCapacity: 8, retained: retained)
        // Three arenas, each with one live 2 KiB block (the largest) and one 16-byte block.
        var small: [UnsafeMutableRawPointer] = []
        var large: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 3 {
            large.append(mustAllocate(&heap, heap.largestBlockBytes))
            small.append(mustAllocate(&heap, 16))
        }
        #expect(heap.statistics.arenasHeld == 3)
        for index in 0 ..< 3 {
            mustFree(&heap, large[index])
            expectValid(heap)
            mustFree(&heap, small[index])
            expectValid(heap)
            #expect(heap.statistics.emptyArenasHeld == min(index + 1, retained))
            #expect(heap.statistics.arenasHeld == 3 - max(0, index + 1 - retained))
        }
        #expect(heap.statistics.arenasReleased == 3 - retained)
        heap.trim()
        #expect(heap.source.ledger.outstanding.isEmpty)
    }

    /// Pairs of one size earn the one-read guess; a free of another order through a trusted guess
    /// still finds its own block (and resets the streak); errors stay errors while trusted.
    @Test func trustedOrderGuessIsOnlyAGuide() {
        var heap = makeHeap(arenaShift: 14, cachedOrderLimit: BlockOrder(6), cacheCapacity: 8)
        let other = mustAllocate(&heap, 256)
        let keep = mustAllocate(&heap, 16)
        for _ in 0 ..< 2 * BuddyCore.trustedStreak {
            mustFree(&heap, mustAllocate(&heap, 64))
            expectValid(heap)
        }
        #expect(heap.core.recentOrderTrust == BuddyCore.trustedStreak && heap.core.recentOrder == 2)
        let p = mustAllocate(&heap, 64)
        mustFree(&heap, p)
        let before = HeapSnapshot(heap)
        #expect(freeError(&heap, p) == .doubleFree(address(p)))
        #expect(HeapSnapshot(heap) == before.withInvalidFrees(1))
        #expect(heap.core.recentOrderTrust == BuddyCore.trustedStreak)
        mustFree(&heap, other)
        expectValid(heap)
        #expect(heap.core.recentOrderTrust == 0)
        #expect(heap.statistics.cachedBlocks[BlockOrder(4)] == 1 && heap.statistics.liveAllocations == 1)
        mustFree(&heap, keep)
        expectValid(heap)
    }

    /// A full cache sends the free down the merging path; the pair statistics stay exact.
    @Test func fullCacheFallsBackToMerging() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(1), cacheCapacity: 2)
        let keep = mustAllocate(&heap, 512)
        let blocks = (0 ..< 4).map { _ in mustAllocate(&heap, 16) }
        for block in blocks {
            mustFree(&heap, block)
            expectValid(heap)
        }
        #expect(heap.statistics.cachedBlocks[BlockOrder(0)] == 2)
        #expect(heap.statistics.frees == 4 && heap.statistics.liveAllocations == 1)
        for _ in 0 ..< 2 { _ = mustAllocate(&heap, 16) }
        #expect(heap.statistics.cachedBlocks[BlockOrder(0)] == 0)
        expectValid(heap)
        mustFree(&heap, keep)
    }
}

// Splits, merges with the left and the right buddy, cascades up to the largest block, and the
// per-order cache, on a 4 KiB arena whose free region [144, 4096) starts as blocks of orders
// 0 @144, 1 @160, 2 @192, 4 @256, 5 @512, 6 @1024, 7 @2048.

import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

@Suite struct SplitMergeTests {
    @Test func freshArenaHoldsTheMaximalBlocksOfItsFreeRegion() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 16)
        #expect(p - onlyArenaBase(heap) == 144)
        mustFree(&heap, p)
        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: 12, arenas: 1))
        #expect(freeCounts(heap) == [1, 1, 1, 0, 1, 1, 1, 1])
        #expect(heap.statistics.metadataBytes == 144)
        expectValid(heap)
    }

    @Test func splitTakesTheLowerHalfAndListsTheUpperHalf() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 100)
        let base = onlyArenaBase(heap)
        #expect(p - base == 256)
        #expect(heap.blockByteCount(of: p) == 128)
        #expect(heap.blockOrder(of: p) == BlockOrder(3))
        #expect(heap.statistics.splits == 1)
        #expect(freeCounts(heap) == [1, 1, 1, 1, 0, 1, 1, 1])
        expectValid(heap)
    }

    @Test func freeMergesWithRightBuddy() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 128)
        let keep = mustAllocate(&heap, 16)
        mustFree(&heap, p)
        #expect(heap.statistics.merges == 1)
        #expect(freeCounts(heap) == [0, 1, 1, 0, 1, 1, 1, 1])
        expectValid(heap)
        mustFree(&heap, keep)
        expectValid(heap)
    }

    @Test func freeMergesWithLeftBuddy() {
        var heap = makeHeap()
        let left = mustAllocate(&heap, 128)
        let right = mustAllocate(&heap, 128)
        #expect(right - left == 128)
        mustFree(&heap, left)
        #expect(heap.statistics.merges == 0)
        #expect(freeCounts(heap)[3] == 1)
        expectValid(heap)
        mustFree(&heap, right)
        #expect(heap.statistics.merges == 1)
        #expect(freeCounts(heap) == [1, 1, 1, 0, 1, 1, 1, 1])
        expectValid(heap)
    }

    @Test func mergeCascadesToTheLargestBlock() {
        var heap = makeHeap()
        // Take every free block below order 7 whole (no splits), so a 16-byte request must split
        // the 2 KiB block all the way down.
        var held: [UnsafeMutableRawPointer] = []
        for size in [16, 32, 64, 256, 512, 1024] { held.append(mustAllocate(&heap, size)) }
        #expect(heap.statistics.splits == 0)
        let small = mustAllocate(&heap, 1)
        #expect(small - onlyArenaBase(heap) == 2048)
        #expect(heap.statistics.splits == 7)
        #expect(freeCounts(heap) == [1, 1, 1, 1, 1, 1, 1, 0])
        expectValid(heap)
        mustFree(&heap, small)
        #expect(heap.statistics.merges == 7)
        #expect(freeCounts(heap) == [0, 0, 0, 0, 0, 0, 0, 1])
        expectValid(heap)
        for pointer in held { mustFree(&heap, pointer) }
        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: 12, arenas: 1))
        expectValid(heap)
    }

    @Test func cachedBlockIsReusedWithoutSplitOrMerge() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3), cacheCapacity: 2)
        let keep = mustAllocate(&heap, 16)
        let p = mustAllocate(&heap, 64)
        let splits = heap.statistics.splits
        mustFree(&heap, p)
        #expect(heap.statistics.cachedBlocks[BlockOrder(2)] == 1)
        #expect(heap.statistics.merges == 0)
        #expect(!heap.isFullyCoalesced)
        expectValid(heap)
        for _ in 0 ..< 100 {
            let again = mustAllocate(&heap, 64)
            #expect(again == p)
            mustFree(&heap, again)
        }
        #expect(heap.statistics.splits == splits && heap.statistics.merges == 0)
        expectValid(heap)
        mustFree(&heap, keep)
        heap.coalesce()
        #expect(heap.isFullyCoalesced)
        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: 12, arenas: 1))
        expectValid(heap)
    }

    @Test func cacheOverflowMergesAndCachedBuddiesMerge() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3), cacheCapacity: 2)
        let blocks = (0 ..< 4).map { _ in mustAllocate(&heap, 128) }
        for block in blocks { mustFree(&heap, block) }
        // Two went to the cache; the third and fourth merged (the fourth's buddy was cached).
        #expect(heap.statistics.cachedBlocks[BlockOrder(3)] <= 2)
        #expect(heap.statistics.merges >= 1)
        expectValid(heap)
        heap.coalesce()
        #expect(heap.statistics.cachedBlocks.total == 0)
        #expect(freeCounts(heap) == wholeArenaFreeCounts(arenaShift: 12, arenas: 1))
        expectValid(heap)
    }

    @Test func cachesAreDrainedBeforeGrowing() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(6), cacheCapacity: 1000)
        var blocks: [UnsafeMutableRawPointer] = []
        while heap.statistics.arenasHeld <= 1, let p = heap.allocate(byteCount: 16) { blocks.append(p) }
        let extra = blocks.removeLast()
        mustFree(&heap, extra)
        heap.trim()
        #expect(heap.statistics.arenasHeld == 1)
        #expect(blocks.count == (4096 - 144) / 16)
        for block in blocks { mustFree(&heap, block) }
        #expect(heap.statistics.cachedBlocks.total == blocks.count)
        expectValid(heap)
        let big = mustAllocate(&heap, 2048)
        #expect(heap.statistics.arenasHeld == 1)
        #expect(heap.statistics.cachedBlocks.total == 0)
        expectValid(heap)
        mustFree(&heap, big)
        expectValid(heap)
    }

    @Test func emptyHeapPairNeedsNoSplitAfterWarmUp() {
        var heap = makeHeap(arenaShift: 23, cachedOrderLimit: BlockOrder(8), cacheCapacity: 32)
        let first = mustAllocate(&heap, 16)
        mustFree(&heap, first)
        let splits = heap.statistics.splits
        for _ in 0 ..< 1000 {
            let p = mustAllocate(&heap, 16)
            mustFree(&heap, p)
        }
        #expect(heap.statistics.splits == splits)
        #expect(heap.statistics.arenasAcquired == 1)
        heap.coalesce()
        expectValid(heap)
        heap.trim()
        #expect(heap.source.ledger.outstanding.isEmpty)
    }
}

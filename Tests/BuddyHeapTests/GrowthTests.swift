// Growth by arenas, release with hysteresis, out of memory, large allocations, and a source that
// breaks its contract.

import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

@Suite struct GrowthTests {
    @Test func growsAnArenaWhenNothingFitsAndReleasesWithHysteresis() {
        var heap = makeHeap(retained: 1)
        let a = mustAllocate(&heap, 2048)
        let b = mustAllocate(&heap, 2048)
        #expect(heap.statistics.arenasHeld == 2)
        #expect(heap.source.ledger.outstanding.count == 2)
        mustFree(&heap, a)
        #expect(heap.statistics.arenasHeld == 2)
        #expect(heap.statistics.emptyArenasHeld == 1)
        expectValid(heap)
        mustFree(&heap, b)
        #expect(heap.statistics.arenasHeld == 1)
        #expect(heap.statistics.arenasReleased == 1)
        #expect(heap.source.ledger.outstanding.count == 1)
        expectValid(heap)
        // An alloc/free at the edge reuses the retained arena instead of thrashing the source.
        for _ in 0 ..< 100 {
            let p = mustAllocate(&heap, 2048)
            mustFree(&heap, p)
        }
        #expect(heap.statistics.arenasAcquired == 2)
        #expect(heap.source.ledger.arenasHandedOut == 2)
        heap.trim()
        #expect(heap.statistics.arenasHeld == 0)
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(heap.source.ledger.badReleases == 0)
        expectValid(heap)
    }

    @Test func withoutRetentionAnEmptyArenaGoesBackAtOnce() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3), retained: 0)
        let p = mustAllocate(&heap, 16)
        #expect(heap.statistics.arenasHeld == 1)
        mustFree(&heap, p)
        #expect(heap.statistics.arenasHeld == 0)
        #expect(heap.source.ledger.outstanding.isEmpty)
        expectValid(heap)
    }

    @Test func outOfMemoryIsNilAndChangesNothing() {
        var heap = makeHeap()
        heap.source.ledger.regionLimit = 1
        let a = mustAllocate(&heap, 2048)
        let before = HeapSnapshot(heap)
        #expect(heap.allocate(byteCount: 2048) == nil)
        #expect(allocationError(&heap, byteCount: 2048, alignment: 16) == .outOfMemory)
        #expect(allocationError(&heap, byteCount: 10_000, alignment: 16) == .outOfMemory)
        var after = HeapSnapshot(heap)
        #expect(after.statistics.failedAllocations == before.statistics.failedAllocations + 3)
        after.statistics.failedAllocations = before.statistics.failedAllocations
        #expect(after == before)
        expectValid(heap)
        // Smaller blocks still fit in the held arena.
        let small = mustAllocate(&heap, 1024)
        mustFree(&heap, small)
        mustFree(&heap, a)
        let again = mustAllocate(&heap, 2048)
        mustFree(&heap, again)
        expectValid(heap)
    }

    @Test func largeAllocationsComeFromTheSourceAndGoBack() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 5000, alignment: 1024)
        #expect(UInt(bitPattern: p) % 4096 == 0)
        #expect(heap.blockByteCount(of: p) == 8192)
        #expect(heap.blockOrder(of: p) == nil)
        #expect(heap.statistics.liveLargeBytes == 8192)
        #expect(heap.statistics.arenasHeld == 0)
        #expect(heap.source.ledger.outstanding[UInt(bitPattern: p)]?.kind == .large)
        p.initializeMemory(as: UInt8.self, repeating: 7, count: 5000)
        expectValid(heap)
        #expect(freeError(&heap, p + 4096) == .interiorPointer(address(p + 4096), blockStart: address(p)))
        mustFree(&heap, p)
        #expect(heap.statistics.liveLargeBytes == 0)
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(freeError(&heap, p) == .foreignPointer(address(p)))
        expectValid(heap)
    }

    @Test func largeAllocationWithKernelSizedAlignment() {
        var heap = makeHeap(arenaShift: 23, cachedOrderLimit: BlockOrder(8))
        let p = mustAllocate(&heap, (4 << 20) + 1, alignment: 4 << 20)
        #expect(UInt(bitPattern: p) % UInt(4 << 20) == 0)
        #expect(heap.blockByteCount(of: p) == (4 << 20) + 4096)
        mustFree(&heap, p)
        #expect(heap.source.ledger.outstanding.isEmpty)
    }

    @Test func largeTableFullIsReported() {
        var heap = makeHeap()
        var held: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< largeAllocationCapacity { held.append(mustAllocate(&heap, 4096)) }
        #expect(allocationError(&heap, byteCount: 4096, alignment: 16) == .tooManyLargeAllocations)
        expectValid(heap)
        for p in held { mustFree(&heap, p) }
        #expect(heap.source.ledger.outstanding.isEmpty)
    }

    @Test func misalignedArenaFromTheSourceIsGivenBack() {
        var heap = makeHeap()
        heap.source.ledger.misalignNextArena = true
        #expect(allocationError(&heap, byteCount: 16, alignment: 16) == .outOfMemory)
        #expect(heap.statistics.sourceContractViolations == 1)
        #expect(heap.lastEvent.map { if case .sourceReturnedBadArena = $0 { true } else { false } } == true)
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(heap.source.ledger.badReleases == 0)
        let p = mustAllocate(&heap, 16)
        mustFree(&heap, p)
        expectValid(heap)
    }
}

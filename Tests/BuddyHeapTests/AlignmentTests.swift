// Every power-of-two alignment up to the largest block, the largest block itself, and the
// requests the router must refuse.

import Testing
import MemoryCore
@testable import BuddyHeap
import TestSupport

@Suite struct AlignmentTests {
    @Test(arguments: [12, 16])
    func everyPowerOfTwoAlignmentIsHonoured(arenaShift: Int) {
        var heap = makeHeap(arenaShift: arenaShift, cachedOrderLimit: BlockOrder(2))
        var held: [UnsafeMutableRawPointer] = []
        var alignment = 1
        while alignment <= heap.largestBlockBytes {
            for size in [0, 1, 24, alignment / 2, alignment] {
                let p = mustAllocate(&heap, size, alignment: alignment)
                #expect(UInt(bitPattern: p) % UInt(alignment) == 0)
                #expect(heap.blockByteCount(of: p)! >= max(size, alignment, 16))
                held.append(p)
                expectValid(heap)
            }
            alignment *= 2
        }
        for p in held { mustFree(&heap, p) }
        heap.trim()
        expectValid(heap)
        #expect(heap.source.ledger.outstanding.isEmpty)
        #expect(heap.source.ledger.badReleases == 0)
    }

    @Test func invalidRequestsFailWithTheirReason() {
        var heap = makeHeap()
        #expect(allocationError(&heap, byteCount: 16, alignment: 0) == .invalidAlignment)
        #expect(allocationError(&heap, byteCount: 16, alignment: 48) == .invalidAlignment)
        #expect(allocationError(&heap, byteCount: 16, alignment: 4096) == .invalidAlignment)
        #expect(allocationError(&heap, byteCount: -1, alignment: 16) == .negativeByteCount)
        #expect(allocationError(&heap, byteCount: Int.max, alignment: 16) == .byteCountTooLarge)
        #expect(heap.allocate(byteCount: 16, alignment: -8) == nil)
        #expect(heap.statistics.failedAllocations == 6)
        #expect(heap.statistics.arenasHeld == 0)
        expectValid(heap)
    }

    @Test func zeroByteRequestsGetDistinctBlocks() {
        var heap = makeHeap()
        let a = mustAllocate(&heap, 0)
        let b = mustAllocate(&heap, 0)
        #expect(a != b)
        #expect(heap.blockByteCount(of: a) == 16)
        mustFree(&heap, a)
        mustFree(&heap, b)
        expectValid(heap)
    }

    @Test func largestBlockOfASmallArena() {
        var heap = makeHeap()
        #expect(heap.largestBlockBytes == 2048)
        let p = mustAllocate(&heap, 2048)
        #expect(p - onlyArenaBase(heap) == 2048)
        #expect(heap.blockOrder(of: p) == BlockOrder(7))
        expectValid(heap)
        mustFree(&heap, p)
        expectValid(heap)
    }

    @Test func kernelConfigurationLargestBlockIsFourMebibytes() {
        var heap = makeHeap(arenaShift: HeapConfiguration.kernel.arenaShift, cachedOrderLimit: BlockOrder(8))
        #expect(heap.largestBlockBytes == 4 << 20)
        #expect(heap.arenaBytes == 8 << 20)
        let p = mustAllocate(&heap, 4 << 20, alignment: 4 << 20)
        #expect(UInt(bitPattern: p) % UInt(4 << 20) == 0)
        #expect(heap.blockOrder(of: p) == BlockOrder(18))
        #expect(heap.statistics.metadataBytes == (8 << 20) / 32 + 16)
        expectValid(heap)
        mustFree(&heap, p)
        heap.trim()
        #expect(heap.source.ledger.outstanding.isEmpty)
    }
}

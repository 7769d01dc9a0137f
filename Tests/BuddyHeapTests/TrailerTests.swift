// Requested-size trailers: exact live requested bytes, and overflow past the requested end
// reported (not trapped) when the block is freed or the invariants are checked.

import Testing
import MemoryCore
import TestSupport
@testable import BuddyHeap

@Suite struct TrailerTests {
    @Test func withoutTrailersRequestedBytesAreNotTracked() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 20)
        #expect(heap.statistics.liveRequestedBytes == nil)
        #expect(heap.blockByteCount(of: p) == 32)
        mustFree(&heap, p)
    }

    @Test func trailerTakesEightBytesOfTheBlock() {
        var heap = makeHeap(trailer: .requestedSizeAndRedZone)
        let p = mustAllocate(&heap, 16)
        #expect(heap.blockOrder(of: p) == BlockOrder(1))
        #expect(heap.blockByteCount(of: p) == 24)
        let q = mustAllocate(&heap, 8)
        #expect(heap.blockOrder(of: q) == BlockOrder(0))
        #expect(heap.largestBlockBytes == 2048)
        let r = mustAllocate(&heap, 2040)
        #expect(heap.blockOrder(of: r) == BlockOrder(7))
        let large = mustAllocate(&heap, 2041)
        #expect(heap.blockOrder(of: large) == nil)
        #expect(heap.statistics.liveRequestedBytes == 16 + 8 + 2040 + 2041)
        expectValid(heap)
        for pointer in [p, q, r, large] { mustFree(&heap, pointer) }
        #expect(heap.statistics.liveRequestedBytes == 0)
        expectValid(heap)
    }

    @Test func liveRequestedBytesFollowARandomSequenceExactly() {
        var heap = makeHeap(arenaShift: 14, cachedOrderLimit: BlockOrder(4), trailer: .requestedSizeAndRedZone)
        var generator = SeededGenerator(seed: 42)
        var live: [(UnsafeMutableRawPointer, Int)] = []
        var requested = 0
        for step in 0 ..< 20_000 {
            if live.isEmpty || (live.count < 200 && generator.next() % 2 == 0) {
                let size = generator.next() % 20 == 0 ? Int(generator.next() % 20_000) : Int(generator.next() % 600)
                let p = mustAllocate(&heap, size)
                #expect(heap.blockByteCount(of: p)! >= size)
                p.initializeMemory(as: UInt8.self, repeating: 0x33, count: size)  // up to the end, not past it
                live.append((p, size))
                requested += size
            } else {
                let index = Int(generator.next() % UInt64(live.count))
                live.swapAt(index, live.count - 1)
                let (p, size) = live.removeLast()
                mustFree(&heap, p)
                requested -= size
            }
            #expect(heap.statistics.liveRequestedBytes == requested)
            if step % 500 == 0 { expectValid(heap) }
        }
        for (p, _) in live { mustFree(&heap, p) }
        #expect(heap.statistics.liveRequestedBytes == 0)
        #expect(heap.statistics.redZoneOverwrites == 0)
        expectValid(heap)
    }

    @Test func writePastTheEndIsReportedOnFree() {
        var heap = makeHeap(trailer: .requestedSizeAndRedZone)
        let p = mustAllocate(&heap, 20)  // 32-byte block: red zone [20, 24), trailer [24, 32)
        p.storeBytes(of: 0x00, toByteOffset: 20, as: UInt8.self)  // one byte too far
        #expect(heap.checkInvariants() == .trailerDamaged(block: address(p), offset: 20))
        mustFree(&heap, p)
        #expect(heap.statistics.redZoneOverwrites == 1)
        #expect(heap.statistics.errorsDetected == 1)
        #expect(heap.lastEvent == .redZoneOverwritten(block: address(p), order: BlockOrder(1), offset: 20))
        #expect(heap.statistics.liveRequestedBytes == 0)
        expectValid(heap)
    }

    @Test func damagedTrailerWordIsReported() {
        var heap = makeHeap(trailer: .requestedSizeAndRedZone)
        let keep = mustAllocate(&heap, 100)
        let p = mustAllocate(&heap, 24)  // exact fit: no red zone, trailer at [24, 32)
        p.storeBytes(of: 0xFFFF, toByteOffset: 28, as: UInt16.self)
        #expect(heap.checkInvariants() == .trailerDamaged(block: address(p), offset: 24))
        mustFree(&heap, p)
        #expect(heap.lastEvent == .redZoneOverwritten(block: address(p), order: BlockOrder(1), offset: 24))
        mustFree(&heap, keep)
    }
}

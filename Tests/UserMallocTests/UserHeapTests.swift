import Testing
import MemoryCore
@testable import UserMalloc
import TestSupport

func address(_ pointer: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: pointer) }

@Suite struct UserHeapAllocationTests {
    @Test func mallocZeroReturnsUniqueAlignedBlocks() throws {
        var (heap, _, log) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 0))
        let b = try unwrap(heap.allocate(byteCount: 0))
        #expect(a != b)
        #expect(address(a) % 16 == 0 && address(b) % 16 == 0)
        #expect(heap.usableByteCount(of: a) == 16)
        heap.free(a)
        heap.free(b)
        #expect(log.errors.isEmpty)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func freeOfNilIsANoOp() {
        var (heap, source, log) = makeHeap()
        heap.free(nil)
        #expect(log.errors.isEmpty && source.mapCount == 0 && heap.statistics.liveBytes == 0)
    }

    @Test func everyTierReturns16AlignedBlocksOfAtLeastTheRequestedSize() throws {
        var (heap, _, log) = makeHeap()
        var blocks: [(UnsafeMutableRawPointer, Int)] = []
        for size in [1, 15, 16, 17, 100, 128, 129, 1000, 1024, 1025, 4000, 4096, 4097, 5000, 65536, 131072, 131073, 1 << 20] {
            let p = try unwrap(heap.allocate(byteCount: size))
            #expect(address(p) % 16 == 0)
            #expect(heap.usableByteCount(of: p) >= size)
            fill(p, size, with: UInt8(size & 0xFF))
            blocks.append((p, size))
            #expect(heap.checkInvariants() == nil)
        }
        for (p, size) in blocks {
            #expect(holds(p, size, UInt8(size & 0xFF)))
            heap.free(p)
            #expect(heap.checkInvariants() == nil)
        }
        #expect(log.errors.isEmpty)
        #expect(heap.statistics.liveBytes == 0)
    }

    @Test func smallFreeThenMallocReusesTheSlot() throws {
        var (heap, source, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 40))
        heap.free(p)
        let q = try unwrap(heap.allocate(byteCount: 48))
        #expect(p == q)
        let maps = source.mapCount
        for _ in 0 ..< 1000 {
            let r = heap.allocate(byteCount: 40)
            heap.free(r)
        }
        #expect(source.mapCount == maps, "a malloc/free pair must not map pages each time")
        heap.free(q)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func fillingManySpansAndFreeingThemKeepsTheHeapConsistent() throws {
        var (heap, source, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for i in 0 ..< 20_000 {
            blocks.append(try unwrap(heap.allocate(byteCount: 16 + (i % 7) * 16)))
        }
        #expect(heap.checkInvariants() == nil)
        #expect(heap.statistics.smallSpans > 7)
        // Free every other block (spans become partial), then the rest (spans become empty).
        for i in stride(from: 0, to: blocks.count, by: 2) { heap.free(blocks[i]) }
        #expect(heap.checkInvariants() == nil)
        for i in stride(from: 1, to: blocks.count, by: 2) { heap.free(blocks[i]) }
        #expect(heap.checkInvariants() == nil)
        #expect(
            heap.statistics.cachedEmptySpanBytes <= max(1 << 16, heap.statistics.peakLiveBytes),
            "empty spans beyond the cache go back")
        #expect(heap.statistics.smallSpanBytes <= 7 * (1 << 16) + max(1 << 16, heap.statistics.peakLiveBytes))
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.heldBytes == 0)
        #expect(log.errors.isEmpty && source.misuse.isEmpty)
    }

    @Test func perClassStatisticsCountLiveBlocks() throws {
        var (heap, _, _) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 20))
        let b = try unwrap(heap.allocate(byteCount: 30))
        let c = try unwrap(heap.allocate(byteCount: 1000))
        #expect(heap.statistics(ofClass: 1).liveBlocks == 2)
        #expect(heap.statistics(ofClass: 1).spans == 1)
        #expect(heap.statistics(ofClass: 1).freeSlots == (4096 - SpanRef.dataOffset) / 32 - 2, "a class starts on a 4 KiB span")
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 1000)).liveBlocks == 1)
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 1000)).lightBlocks == 1, "a light class's first block")
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 1000)).spans == 0)
        #expect(heap.statistics(ofClass: 5).spans == 0)
        #expect(heap.statistics.liveBytes == 32 + 32 + 1024)
        heap.free(a)
        heap.free(b)
        heap.free(c)
        #expect(heap.statistics(ofClass: 1).liveBlocks == 0)
        #expect(heap.statistics.peakLiveBytes == 32 + 32 + 1024)
        #expect(heap.statistics.peakHeldBytes >= heap.statistics.heldBytes)
    }
}

@Suite struct UserHeapLargeCacheTests {
    @Test func freedLargeMappingsAreReusedAndZeroedForCalloc() throws {
        var (heap, source, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 600_000))  // raises the peak: room to cache
        let p = try unwrap(heap.allocate(byteCount: 300_000))
        fill(p, 300_000, with: 0x77)
        heap.free(p)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        let maps = source.mapCount
        let q = try unwrap(heap.allocateZeroed(count: 3, byteCount: 90_000))
        #expect(q == p && source.mapCount == maps, "the cached mapping is reused")
        #expect(holds(q, 270_000, 0), "a recycled mapping is zeroed for calloc")
        heap.free(q)
        // A request well below the cached mapping's size takes it whole (no fresh mapping, no
        // remap: a realloc growth of the block would fault in again what a shrink gave back).
        let remaps = source.remapCount
        let r = try unwrap(heap.allocate(byteCount: 140_000))
        #expect(r == p && source.mapCount == maps && source.remapCount == remaps)
        #expect(heap.statistics.cachedLargeBlocks == 0 && heap.usableByteCount(of: r) >= 270_000)
        // It grows by realloc within its slack in place.
        #expect(heap.reallocate(r, byteCount: 260_000) == r && source.remapCount == remaps)
        heap.free(r)
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
        #expect(log.errors == [.foreignPointer(VirtualAddress(UInt64(UInt(bitPattern: p))))], "a cached block is not live")
        // Beyond 3x the request, a bigger mapping is shrunk to 3x (one remap): the 600 KB one,
        // alone in the cache.
        heap.trim()
        heap.free(keep)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        let r1 = try unwrap(heap.allocate(byteCount: 140_000))
        let needed = (64 + 140_000 + 4095) & ~4095
        #expect(source.remapCount == remaps + 1 && source.mapCount == maps)
        #expect(heap.usableByteCount(of: r1) == 3 * needed - 64)
        #expect(heap.checkInvariants() == nil)
        heap.free(r1)
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.cachedLargeBlocks == 0)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func theSmallestCachedMappingThatFitsIsTaken() throws {
        var (heap, source, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 600_000))  // raises the peak: room to cache
        // Three buffers freed in an order that puts a worse fit first in the cache whichever end
        // the cache is searched from.
        let sizes = [190_000, 150_000, 170_000]
        let buffers = try sizes.map { try unwrap(heap.allocate(byteCount: $0)) }
        for p in buffers { heap.free(p) }
        #expect(heap.statistics.cachedLargeBlocks == 3)
        let maps = source.mapCount
        let remaps = source.remapCount
        // 145 000 fits each of them with at most half to spare: the 150 000 one is taken.
        let a = try unwrap(heap.allocate(byteCount: 145_000))
        #expect(a == buffers[1])
        // 165 000: the 170 000 one, though the 190 000 one was freed first.
        let b = try unwrap(heap.allocate(byteCount: 165_000))
        #expect(b == buffers[2])
        let c = try unwrap(heap.allocate(byteCount: 190_000))
        #expect(c == buffers[0])
        #expect(source.mapCount == maps && source.remapCount == remaps && heap.statistics.cachedLargeBlocks == 0)
        #expect(heap.checkInvariants() == nil)
        for p in [a, b, c, keep] { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func aLoneLargeBufferFreedAndAllocatedAgainIsCached() throws {
        var (heap, source, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 256 * 1024))
        heap.free(p)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        let maps = source.mapCount
        for _ in 0 ..< 10 {
            let q = try unwrap(heap.allocate(byteCount: 256 * 1024))
            #expect(q == p)
            heap.free(q)
        }
        #expect(source.mapCount == maps, "no mapping after the first")
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil)
    }

    @Test func aFullSourceTakesBackTheCacheBeforeMallocFails() throws {
        var (heap, source, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 256 * 1024))
        heap.free(p)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        source.byteLimit = source.mappedBytes  // the cached mapping is all the source will give
        let q = try unwrap(heap.allocate(byteCount: 250 * 1024))  // served by the cached mapping
        heap.free(q)
        // A medium request: the region cannot be mapped; the cache goes back, then the map succeeds.
        let r = try unwrap(heap.allocate(byteCount: 20 * 1024 + 1))
        #expect(heap.statistics.cachedLargeBlocks == 0)
        heap.free(r)
        #expect(heap.checkInvariants() == nil)
    }
}

@Suite struct UserHeapCallocTests {
    @Test func callocZeroesRecycledMemory() throws {
        var (heap, _, _) = makeHeap()
        for size in [24, 700, 3000, 5000, 100_000] {
            let dirty = try unwrap(heap.allocate(byteCount: size))
            fill(dirty, size, with: 0xEE)
            heap.free(dirty)
            let clean = try unwrap(heap.allocateZeroed(count: 1, byteCount: size))
            #expect(holds(clean, size, 0))
            heap.free(clean)
        }
        #expect(heap.checkInvariants() == nil)
    }

    @Test func callocOfFreshLargeAndSmallMemoryIsZero() throws {
        var (heap, _, _) = makeHeap()
        let large = try unwrap(heap.allocateZeroed(count: 1000, byteCount: 300))
        #expect(holds(large, 300_000, 0))
        let small = try unwrap(heap.allocateZeroed(count: 3, byteCount: 8))
        #expect(holds(small, 24, 0))
        heap.free(large)
        heap.free(small)
    }

    @Test func callocRejectsOverflowingProducts() {
        var (heap, source, _) = makeHeap()
        #expect(heap.allocateZeroed(count: Int.max / 2, byteCount: 3) == nil)
        #expect(heap.allocateZeroed(count: -1, byteCount: 3) == nil)
        #expect(source.mapCount == 0)
    }
}

@Suite struct UserHeapReallocTests {
    @Test func reallocOfNilIsMallocAndToZeroFrees() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.reallocate(nil, byteCount: 100))
        #expect(heap.statistics.liveBytes > 0)
        #expect(heap.reallocate(p, byteCount: 0) == nil)
        #expect(heap.statistics.liveBytes == 0)
        #expect(log.errors.isEmpty)
    }

    @Test func smallReallocStaysInPlaceWithinTheSlotAndMovesBeyond() throws {
        var (heap, _, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 100))  // class 112
        fill(p, 100, with: 7)
        #expect(heap.reallocate(p, byteCount: 112) == p)
        let q = try unwrap(heap.reallocate(p, byteCount: 500))
        #expect(q != p)
        #expect(holds(q, 100, 7))
        #expect(heap.checkInvariants() == nil)
    }

    /// Spans and medium regions are asked of the source as memory to use soon (PageSource.
    /// mapPagesForUse: Linux's source brings their pages in with the map); large blocks, which a
    /// program may touch sparsely, and the granule map are not.
    @Test func spansAndRegionsAreMappedForUseLargeBlocksAndTheMapAreNot() throws {
        var (heap, source, _) = makeHeap()
        let small = try unwrap(heap.allocate(byteCount: 16))  // a span, then the granule map
        #expect(source.mapCount == 2 && source.mapsForUse == 1)
        let medium = try unwrap(heap.allocate(byteCount: 20_000))  // a region
        #expect(source.mapCount == 3 && source.mapsForUse == 2)
        let large = try unwrap(heap.allocate(byteCount: 300_000))  // its own mapping
        #expect(source.mapCount >= 4 && source.mapsForUse == 2)
        for pointer in [small, medium, large] { heap.free(pointer) }
        #expect(heap.checkInvariants() == nil && heap.statistics.liveBytes == 0)
    }

    @Test func mediumReallocGrowsIntoTheFreeSuccessor() throws {
        var (heap, _, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 5000))
        fill(p, 5000, with: 9)
        let q = try unwrap(heap.reallocate(p, byteCount: 11_000))
        #expect(q == p, "the rest of the fresh (16 KiB) region follows the block")
        #expect(holds(q, 5000, 9))
        #expect(heap.checkInvariants() == nil)
        let r = try unwrap(heap.reallocate(q, byteCount: 4500))
        #expect(r == q, "shrinking splits the tail off in place")
        #expect(heap.usableByteCount(of: r) < 5000)
        #expect(heap.checkInvariants() == nil)
        heap.free(r)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func mediumReallocMovesWhenTheSuccessorIsInUse() throws {
        var (heap, _, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 5000))
        let blocker = try unwrap(heap.allocate(byteCount: 5000))
        fill(p, 5000, with: 3)
        let q = try unwrap(heap.reallocate(p, byteCount: 9000))
        #expect(q != p && holds(q, 5000, 3))
        heap.free(q)
        heap.free(blocker)
        #expect(heap.checkInvariants() == nil)
    }

    /// Large growth goes through the source's remap: in place when the pages after are free,
    /// else the pages move (the fake moves them with mremap: no byte copied); the bytes stay.
    @Test func largeReallocUsesPageSlackThenRemaps() throws {
        var (heap, source, _) = makeHeap()
        // The granule map is mapped right after the heap's first mapping: make that a small span.
        let first = try unwrap(heap.allocate(byteCount: 16))
        let p = try unwrap(heap.allocate(byteCount: 200_000))
        fill(p, 200_000, with: 5)
        #expect(heap.reallocate(p, byteCount: heap.usableByteCount(of: p)) == p)
        let q = try unwrap(heap.reallocate(p, byteCount: 1 << 20))
        #expect(q == p && holds(q, 200_000, 5) && source.remapCount == 1 && source.remapMoves == 0)
        let blocker = try unwrap(heap.allocate(byteCount: 300_000))  // the next mapping, right after
        let r = try unwrap(heap.reallocate(q, byteCount: 4 << 20))
        #expect(r != q && holds(r, 200_000, 5) && source.remapMoves == 1)
        #expect((UInt(bitPattern: r) - 64) % (64 << 10) == 0, "the moved mapping keeps its 64 KiB alignment")
        #expect(heap.statistics.remapCalls == 2 && heap.statistics.heldBytes == source.mappedBytes)
        #expect(heap.checkInvariants() == nil)
        heap.free(blocker)
        heap.free(r)
        heap.free(first)
        #expect(source.mappings.count == 0 || heap.statistics.largeBlocks == 0)
        #expect(heap.checkInvariants() == nil && source.misuse.isEmpty)
    }

    @Test func failedReallocLeavesTheOldBlockIntact() throws {
        var (heap, source, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 1000))
        fill(p, 1000, with: 0x42)
        source.successesBeforeFailure = 0
        #expect(heap.reallocate(p, byteCount: 500_000) == nil)
        #expect(holds(p, 1000, 0x42))
        #expect(heap.usableByteCount(of: p) == 1024)
        #expect(heap.checkInvariants() == nil)
    }
}

@Suite struct UserHeapAlignedTests {
    @Test func rejectsAlignmentsThatAreNotPowerOfTwoMultiplesOfEight() {
        var (heap, _, _) = makeHeap()
        for alignment in [0, 1, 2, 4, 12, 24, 48, 100, -16] {
            #expect(throws: MallocErrno.invalidArgument) { _ = try heap.allocateAligned(byteCount: 64, alignment: alignment) }
        }
    }

    @Test func returnsAlignedBlocksInEveryTier() throws {
        var (heap, _, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for alignment in [8, 16, 32, 64, 256, 1024, 4096, 8192, 65536, 1 << 21] {
            for size in [0, 1, 100, 1000, 5000, 100_000, 300_000] {
                let p = try heap.allocateAligned(byteCount: size, alignment: alignment)
                #expect(address(p) % UInt(alignment) == 0, "size \(size) alignment \(alignment)")
                #expect(heap.usableByteCount(of: p) >= size)
                fill(p, size, with: 1)
                blocks.append(p)
            }
            #expect(heap.checkInvariants() == nil)
        }
        for p in blocks { heap.free(p) }
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
    }

    @Test func zeroByteBlockWithHugeAlignmentLiesInsideItsMapping() throws {
        var (heap, source, log) = makeHeap()
        for alignment in [65536, 1 << 20] {
            let p = try heap.allocateAligned(byteCount: 0, alignment: alignment)
            let at = UInt(bitPattern: p)
            #expect(source.mappings.contains { at >= $0.key && at < $0.key + UInt($0.value) })
            #expect(heap.usableByteCount(of: p) > 0)
            heap.free(p)
        }
        heap.trim()
        #expect(log.errors.isEmpty && source.mappings.isEmpty)
    }

    @Test func reportsOutOfMemory() {
        var (heap, source, _) = makeHeap()
        source.successesBeforeFailure = 0
        #expect(throws: MallocErrno.outOfMemory) { _ = try heap.allocateAligned(byteCount: 64, alignment: 64) }
        #expect(throws: MallocErrno.outOfMemory) { _ = try heap.allocateAligned(byteCount: 1 << 20, alignment: 4096) }
    }
}

@Suite struct UserHeapOutOfMemoryTests {
    @Test func everyTierReturnsNilAndChangesNothing() throws {
        var (heap, source, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 64))
        source.successesBeforeFailure = 0
        let before = heap.statistics
        #expect(heap.allocate(byteCount: 2000) == nil)
        #expect(heap.allocate(byteCount: 5000) == nil)
        #expect(heap.allocate(byteCount: 1 << 20) == nil)
        #expect(heap.allocateZeroed(count: 1, byteCount: 500) == nil)
        #expect(heap.statistics.liveBytes == before.liveBytes && heap.statistics.heldBytes == before.heldBytes)
        #expect(heap.checkInvariants() == nil)
        source.successesBeforeFailure = nil
        heap.free(keep)
        #expect(log.errors.isEmpty)
    }

    @Test func impossibleSizesReturnNilWithoutTouchingTheSource() throws {
        var (heap, source, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 40))
        fill(keep, 40, with: 0x3C)
        let maps = source.mapCount
        #expect(heap.allocate(byteCount: -1) == nil)
        #expect(heap.allocate(byteCount: Int.min) == nil)
        #expect(heap.allocate(byteCount: Int.max) == nil)
        #expect(heap.allocate(byteCount: Int.max - 4095) == nil)
        #expect(heap.allocateZeroed(count: 1, byteCount: Int.max) == nil)
        #expect(throws: MallocErrno.outOfMemory) { _ = try heap.allocateAligned(byteCount: Int.max, alignment: 64) }
        #expect(throws: MallocErrno.outOfMemory) { _ = try heap.allocateAligned(byteCount: -8, alignment: 64) }
        #expect(heap.reallocate(keep, byteCount: -5) == nil)
        #expect(heap.reallocate(keep, byteCount: Int.max) == nil)
        #expect(holds(keep, 40, 0x3C), "a failed realloc leaves the block alone")
        #expect(source.mapCount == maps && log.errors.isEmpty)
        #expect(heap.checkInvariants() == nil)
        heap.free(keep)
    }

    @Test func granuleMapFailuresUnwindCleanly() throws {
        var (heap, source, log) = makeHeap()
        // The first mapping needs the map itself: the span maps, the map cannot be had.
        source.successesBeforeFailure = 1
        #expect(heap.allocate(byteCount: 1024) == nil)
        #expect(heap.statistics.heldBytes == 0 && source.mappings.isEmpty && heap.checkInvariants() == nil)
        source.successesBeforeFailure = nil
        // 32 MiB blocks until the next one lands beyond the map's window (256 MiB per map page).
        var blocks: [UnsafeMutableRawPointer] = [try unwrap(heap.allocate(byteCount: 1024))]
        func nextMappingIsCovered() -> Bool {
            let end = source.mappings.map { $0.key + UInt($0.value) }.max() ?? 0
            return heap.directory.covers((end + 0xFFFF) & ~0xFFFF, byteCount: 1)
        }
        while nextMappingIsCovered() { blocks.append(try unwrap(heap.allocate(byteCount: 32 << 20))) }
        let held = heap.statistics.heldBytes
        let mapBytes = heap.statistics.directoryBytes
        source.successesBeforeFailure = 1  // the block maps, the larger map cannot be had
        #expect(heap.allocate(byteCount: 32 << 20) == nil)
        #expect(heap.statistics.heldBytes == held && heap.checkInvariants() == nil)
        source.successesBeforeFailure = nil
        blocks.append(try unwrap(heap.allocate(byteCount: 32 << 20)))
        #expect(heap.statistics.directoryBytes > mapBytes && heap.checkInvariants() == nil)
        for p in blocks { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && source.misuse.isEmpty && log.errors.isEmpty)
    }
}

@Suite struct UserHeapTrimTests {
    @Test func freeingEverythingAndTrimmingReturnsEveryPage() throws {
        var (heap, source, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for i in 0 ..< 3000 {
            let size = [8, 100, 900, 3000, 40_000, 200_000][i % 6]
            blocks.append(try unwrap(heap.allocate(byteCount: size)))
        }
        #expect(source.mappings.count > 10)
        for p in blocks.reversed() { heap.free(p) }
        #expect(heap.checkInvariants() == nil)
        heap.trim()
        #expect(source.mappings.isEmpty, "all pages back to the source")
        #expect(source.mapCount == source.unmapCount)
        #expect(heap.statistics.heldBytes == 0 && heap.statistics.liveBytes == 0)
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty && source.misuse.isEmpty)
        // The heap works again after a full trim.
        let p = try unwrap(heap.allocate(byteCount: 10))
        heap.free(p)
        #expect(heap.checkInvariants() == nil)
    }
}

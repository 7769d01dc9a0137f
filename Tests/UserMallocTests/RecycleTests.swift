// Recycling idle mappings (UserHeap+Mapping.swift, releaseIdleBeforePeak): before a mapping that
// would raise the peak held past the idle allowance, one of the idle mappings given back is remapped into the new span,
// region or large block instead of being unmapped (its pages stay resident). The held bytes follow
// the same path as without recycling; a recycled mapping is dirty, so calloc and the free markers
// must not trust it to be zero. Checker after every operation.

import TestSupport
import Testing
import MemoryCore
@testable import UserMalloc

@Suite struct RecycleTests {
    /// Fills `byteCount` bytes at `p` with 0xA5 (dirt a recycled mapping carries over).
    func dirty(_ p: UnsafeMutableRawPointer, _ byteCount: Int) {
        p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: byteCount)
    }

    func isZero(_ p: UnsafeMutableRawPointer, _ byteCount: Int) -> Bool {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        for i in 0 ..< byteCount where bytes[i] != 0 { return false }
        return true
    }

    @Test func cachedSpansBecomeALargeBlockThatCallocStillZeroes() throws {
        var (heap, source, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 5_000 {
            let p = try unwrap(heap.allocate(byteCount: 48))
            dirty(p, 48)
            blocks.append(p)
        }
        for p in blocks {
            heap.free(p)
            #expect(heap.checkInvariants() == nil)
        }
        let spanBases = Set(smallSpans(of: heap).map(\.base))
        let peak = heap.statistics.peakHeldBytes
        let remaps = source.remapCount
        // The large block would pass the peak: cached spans go back, one of them becomes the block.
        let large = try unwrap(heap.allocateZeroed(count: 300_000, byteCount: 1))
        #expect(heap.checkInvariants() == nil)
        #expect(heap.statistics.recycledMappings == 1 && source.remapCount == remaps + 1)
        #expect(isZero(large, 300_000))
        let base = UInt(bitPattern: large) & ~0xFFFF
        #expect(spanBases.contains(base) || source.mappings[base] != nil)
        // Given back or recycled, the spans left the held bytes alike: the peak grew by what the
        // spans could not cover.
        #expect(heap.statistics.heldBytes == heap.statistics.peakHeldBytes || heap.statistics.peakHeldBytes == peak)
        #expect(heap.statistics.heldBytes == source.mappedBytes)
        heap.free(large)
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func aCachedLargeMappingBecomesASpanWhoseSlotsAreNotTakenAsZero() throws {
        var (heap, source, log) = makeHeap()
        let large = try unwrap(heap.allocate(byteCount: 300_000))
        dirty(large, 300_000)
        heap.free(large)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        let peak = heap.statistics.peakHeldBytes
        // Small blocks of one class until a span would pass the peak and the idle allowance (an
        // eighth above the peak live bytes): the cached mapping is recycled into it (shrunk in
        // place: its first pages keep their dirty bytes).
        var blocks: [UnsafeMutableRawPointer] = []
        while heap.statistics.recycledMappings == 0 {
            let p = try unwrap(heap.allocateZeroed(count: 1, byteCount: 96))
            #expect(isZero(p, 96))
            #expect(heap.checkInvariants() == nil)
            blocks.append(p)
            #expect(blocks.count < 100_000)
        }
        #expect(heap.statistics.cachedLargeBlocks == 0)
        #expect(heap.statistics.peakHeldBytes <= max(peak, heap.statistics.idleAllowanceBytes))
        // The block that made the span is in the old mapping's first pages (its header was at
        // the mapping's base, the user pointer 64 bytes on).
        #expect(UInt(bitPattern: blocks.last!) & ~0xFFFF == UInt(bitPattern: large) - 64)
        // Every slot of the recycled span: calloc zeroes it, malloc/free/double free behave.
        for _ in 0 ..< 2_000 {
            let p = try unwrap(heap.allocateZeroed(count: 1, byteCount: 96))
            #expect(isZero(p, 96))
            dirty(p, 96)
            blocks.append(p)
        }
        #expect(heap.checkInvariants() == nil)
        for p in blocks {
            heap.free(p)
            #expect(heap.checkInvariants() == nil)
        }
        #expect(log.errors.isEmpty)
        heap.free(blocks[0])
        #expect(log.errors.count == 1)
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil)
    }

    @Test func aCachedLargeMappingBecomesARegion() throws {
        var (heap, source, log) = makeHeap()
        // A 256 KiB-aligned large mapping is wanted: only such a one can become a region in place
        // or be moved there by the source.
        let large = try heap.allocateAligned(byteCount: 300_000, alignment: RegionRef.alignment)
        dirty(large, 300_000)
        heap.free(large)
        var blocks: [UnsafeMutableRawPointer] = []
        while heap.statistics.recycledMappings == 0 {
            let p = try unwrap(heap.allocateZeroed(count: 1, byteCount: 20_000))
            #expect(isZero(p, 20_000))
            dirty(p, 20_000)
            #expect(heap.checkInvariants() == nil)
            blocks.append(p)
            #expect(blocks.count < 1_000)
        }
        // The region is the old mapping (the user pointer was one alignment past its base).
        let regionBase = UInt(bitPattern: blocks.last!) & ~UInt(RegionRef.alignment - 1)
        #expect(regionBase == UInt(bitPattern: large) - UInt(RegionRef.alignment))
        for _ in 0 ..< 20 {
            let p = try unwrap(heap.allocateZeroed(count: 1, byteCount: 9_000))
            #expect(isZero(p, 9_000))
            blocks.append(p)
            #expect(heap.checkInvariants() == nil)
        }
        for p in blocks.reversed() {
            heap.free(p)
            #expect(heap.checkInvariants() == nil)
        }
        #expect(log.errors.isEmpty)
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil)
    }

    /// Phases that move the heap's memory from tier to tier at its peak, checked against a model
    /// of the live blocks (each block's bytes carry its number): whatever was recycled, no block
    /// is damaged and the held bytes match the source's.
    @Test func tierChurnKeepsEveryBlockIntact() throws {
        var (heap, source, log) = makeHeap()
        var random = SplitMix64(seed: 0xFA17_5EED)
        var live: [(UnsafeMutableRawPointer, Int, UInt8)] = []
        let sizes = [48, 700, 3000, 20_000, 90_000, 200_000, 400_000]
        for phase in 0 ..< 12 {
            let size = sizes[Int(random.next() % UInt64(sizes.count))]
            let count = max(2, 1_500_000 / size / 2)
            for i in 0 ..< count {
                let n = size / 2 + Int(random.next() % UInt64(size / 2 + 1))
                let p = try unwrap(heap.allocate(byteCount: n))
                let tag = UInt8(truncatingIfNeeded: phase &* 31 &+ i)
                p.initializeMemory(as: UInt8.self, repeating: tag, count: n)
                live.append((p, n, tag))
                #expect(heap.checkInvariants() == nil)
            }
            // Free all but a few, so the next phase's tier meets the others' idle memory at the peak.
            while live.count > 8 {
                let (p, n, tag) = live.remove(at: Int(random.next() % UInt64(live.count)))
                let bytes = p.assumingMemoryBound(to: UInt8.self)
                #expect(bytes[0] == tag && bytes[n - 1] == tag && bytes[n / 2] == tag)
                heap.free(p)
            }
            #expect(heap.checkInvariants() == nil && heap.statistics.heldBytes == source.mappedBytes)
        }
        #expect(heap.statistics.recycledMappings > 0)
        for (p, _, _) in live { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil && log.errors.isEmpty)
    }
}

// Footprint on small heaps: first spans and regions are small and grow with use (SpanSizing), the
// empty-span cache is bounded in bytes, pointers into the unmapped rest of a short span's granule
// are foreign, and trim still returns everything.

import TestSupport
import Testing
import MemoryCore
@testable import UserMalloc
import TestSupport

/// Every small span of the heap as (base, bytes, class), by walking the directory.
func smallSpans(of heap: UserHeap<FakePageSource>) -> [(base: UInt, bytes: Int, classIndex: Int)] {
    var spans: [(base: UInt, bytes: Int, classIndex: Int)] = []
    heap.directory.forEachEntry { granule, value in
        guard value & 3 == OwnerKind.small.rawValue else { return }
        let span = SpanRef(base: userPointer(granule))
        spans.append((granule, span.byteCount, Int(span.header.classIndex)))
    }
    return spans
}

@Suite struct SpanSizingTests {
    @Test func minimumSpansAreTheSmallestThatHoldOneSlot() {
        for index in 0 ..< SizeClass.count {
            let slot = SizeClass.byteCount(ofClass: index)
            let shift = SpanSizing.minimumShift(forClass: index)
            #expect((1 << shift) - SpanRef.dataOffset >= slot, "class \(index)")
            if shift > SpanRef.smallestShift {
                #expect((1 << (shift - 1)) - SpanRef.dataOffset < slot, "class \(index)")
            }
        }
        #expect(SpanSizing.minimumShift(forClass: 0) == 12)
        #expect(SpanSizing.minimumShift(forClass: SizeClass.index(forByteCount: 3840)) == 12)
        #expect(SpanSizing.minimumShift(forClass: SizeClass.index(forByteCount: 4096)) == 13)
    }

    @Test func spansGrowByAtMostHalfTheClassHoldingsUpTo64KiB() {
        var held = 0
        var sizes: [Int] = []
        for _ in 0 ..< 13 {
            let bytes = 1 << SpanSizing.shift(forClass: 3, heldBytes: held)
            #expect(held == 0 || bytes <= max(held / 2, 4096))
            sizes.append(bytes)
            held += bytes
        }
        let k = 1024
        #expect(sizes == [4 * k, 4 * k, 4 * k, 4 * k, 8 * k, 8 * k, 16 * k, 16 * k, 32 * k, 32 * k, 64 * k, 64 * k, 64 * k])
        #expect(SpanSizing.shift(forClass: SizeClass.count - 1, heldBytes: 0) == 13)
        #expect(SpanSizing.shift(forClass: SizeClass.count - 1, heldBytes: 8192) == 13)
        #expect(SpanSizing.shift(forClass: 3, heldBytes: 5000) == 12)
        #expect(SpanSizing.shift(forClass: 3, heldBytes: 16384) == 13)
    }

    @Test func regionsStartAt64KiBGrowWithTheTierAndAlwaysFitTheRequest() {
        let small = MediumBins.bin(ofRequest: 5000 + 16)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 0) == 1 << 14)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 1 << 14) == 1 << 14)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 1 << 15) == 1 << 15)
        #expect(SpanSizing.regionByteCount(servingBin: MediumBins.bin(ofRequest: 20_016), heldBytes: 0) == 1 << 15)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 3 << 16) == 1 << 18)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 100 << 20) == 1 << 18)
        // Every medium request, plain or 4 KiB-aligned, has a region that serves it.
        for byteCount in stride(from: 4097, through: 128 * 1024, by: 1001) {
            for extra in [0, 4096 + MediumBlock.minimumBytes] {
                let bin = MediumBins.bin(ofRequest: byteCount + 16 + extra)
                let bytes = SpanSizing.regionByteCount(servingBin: bin, heldBytes: 0)
                #expect(bytes != nil && MediumBins.lowestSize(ofBin: bin) <= bytes! - RegionRef.overheadBytes)
            }
        }
    }

    @Test func lowestSizeOfABinIsTheSmallestSizeThatMapsToIt() {
        for bin in 48 ..< MediumBins.binCount {
            let low = MediumBins.lowestSize(ofBin: bin)
            #expect(MediumBins.bin(ofFreeSize: low) == bin)
            #expect(MediumBins.bin(ofFreeSize: low - 1) == bin - 1)
        }
    }
}

@Suite struct FootprintTests {
    @Test func oneBlockInEverySizeClassHoldsOnlyMinimumSpans() throws {
        var (heap, source, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for index in 0 ..< SizeClass.count {
            blocks.append(try unwrap(heap.allocate(byteCount: SizeClass.byteCount(ofClass: index))))
            #expect(heap.checkInvariants() == nil)
        }
        let minimum = (0 ..< SizeClass.count).reduce(0) { $0 + (1 << SpanSizing.minimumShift(forClass: $1)) }
        #expect(heap.statistics.smallSpanBytes == minimum)
        #expect(heap.statistics.heldBytes == minimum + heap.statistics.directoryBytes)
        #expect(heap.statistics.heldBytes <= 47 * 4096 + 8192 + 4096, "was 48 * 64 KiB = 3 MiB before spans could be short")
        // A medium block next to them adds a 32 KiB region, not 256 KiB.
        let medium = try unwrap(heap.allocate(byteCount: 20_000))
        #expect(heap.statistics.mediumRegionBytes == 32 * 1024)
        for p in blocks + [medium] { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.heldBytes == 0 && log.errors.isEmpty)
    }

    @Test func aBusyClassGrowsToLargeSpansAndStaysWithinOneAndAHalfOfItsLiveBytes() throws {
        var (heap, _, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for i in 0 ..< 20_000 {
            blocks.append(try unwrap(heap.allocate(byteCount: 96)))
            if i % 500 == 0 { #expect(heap.checkInvariants() == nil) }
            let live = heap.statistics.liveBytes
            #expect(heap.statistics.smallSpanBytes * 5 <= 8 * live + 5 * 8192, "1.5x the live bytes, plus header and tail slack")
        }
        let sizes = smallSpans(of: heap).map(\.bytes).sorted()
        #expect(Array(sizes.prefix(10)) == [4096, 4096, 4096, 4096, 8192, 8192, 16384, 16384, 32768, 32768])
        #expect(sizes.dropFirst(10).allSatisfy { $0 == 65536 })
        for p in blocks { heap.free(p) }
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func emptySpanCacheIsBoundedByThePeakLiveBytesWithA64KiBFloor() throws {
        var (heap, source, _) = makeHeap()
        // A small heap: a few hundred blocks of several classes, all freed.
        var blocks: [UnsafeMutableRawPointer] = []
        for i in 0 ..< 600 { blocks.append(try unwrap(heap.allocate(byteCount: 16 + (i % 12) * 80))) }
        for p in blocks { heap.free(p) }
        #expect(heap.checkInvariants() == nil)
        #expect(heap.statistics.cachedEmptySpanBytes <= max(1 << 16, heap.statistics.peakLiveBytes))
        let peak = heap.statistics.peakLiveBytes
        #expect(heap.statistics.heldBytes <= 2 * peak + 12 * 4096 + 4096)
        // Refilling reuses what is held rather than mapping more.
        let maps = source.mapCount
        blocks = []
        for i in 0 ..< 600 { blocks.append(try unwrap(heap.allocate(byteCount: 16 + (i % 12) * 80))) }
        #expect(source.mapCount - maps <= 12)
        for p in blocks { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.cachedEmptySpanBytes == 0)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func cachedSpansOfOneSizeServeAClassThatWantsAnother() throws {
        var (heap, source, log) = makeHeap()
        // Grow class 48 B to several spans, free them all (cached), then a 4096 B class needs
        // 8 KiB spans at least: it must take a cached one of >= 8 KiB, never a 4 KiB one.
        let keep = try unwrap(heap.allocate(byteCount: 100_000))  // raises the peak: room to cache
        let small = try (0 ..< 3000).map { _ in try unwrap(heap.allocate(byteCount: 48)) }
        for p in small { heap.free(p) }
        #expect(heap.statistics.cachedEmptySpans > 0)
        let maps = source.mapCount
        let big = try unwrap(heap.allocate(byteCount: 4096))
        #expect(source.mapCount == maps, "a cached span large enough was reused")
        #expect(heap.checkInvariants() == nil)
        #expect(smallSpans(of: heap).first { $0.base == UInt(bitPattern: big) & ~0xFFFF }!.bytes >= 8192)
        heap.free(big)
        heap.free(keep)
        heap.trim()
        #expect(source.mappings.isEmpty && log.errors.isEmpty)
    }

    @Test func pointersPastAShortSpanOrRegionAreForeign() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 64))
        let m = try unwrap(heap.allocate(byteCount: 5000))
        #expect(smallSpans(of: heap).map(\.bytes) == [4096])
        let base = UInt(bitPattern: p) & ~0xFFFF
        for offset in [4096, 4096 + 64, 4096 + 8, 40_000] {
            let wild = UnsafeMutableRawPointer(bitPattern: base + UInt(offset))!
            log.errors.removeAll()
            heap.free(wild)
            #expect(log.errors == [.foreignPointer(VirtualAddress(UInt64(base) + UInt64(offset)))])
        }
        let regionBase = UInt(bitPattern: m) & ~UInt(RegionRef.alignment - 1)
        #expect(heap.statistics.mediumRegionBytes == 16 * 1024)
        for offset: UInt in [16_384, 16_384 + 16, 40_000, 70_000] {
            let pastRegion = UnsafeMutableRawPointer(bitPattern: regionBase + offset)!
            log.errors.removeAll()
            heap.free(pastRegion)
            #expect(log.errors == [.foreignPointer(VirtualAddress(UInt64(regionBase + offset)))])
        }
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
        heap.free(m)
    }

    @Test func damagedSpanAndRegionSizesAreCaughtByTheInvariantCheck() throws {
        var (heap, _, _) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 64))
        let span = SpanRef(containing: UInt(bitPattern: p))
        span.header.sizeShift = 17
        #expect(heap.checkInvariants() == .spanGeometry(span: VirtualAddress(UInt64(span.address))))
        span.header.sizeShift = 13
        #expect(heap.checkInvariants() != nil)
        span.header.sizeShift = 12
        #expect(heap.checkInvariants() == nil)
        heap.classSpanBytes[3] += 16
        #expect(heap.checkInvariants() == .classSpanBytes(classIndex: 3, counted: 4096, recorded: 4112))
        heap.classSpanBytes[3] -= 16
        let m = try unwrap(heap.allocate(byteCount: 5000))
        let region = RegionRef(containing: UInt(bitPattern: m))
        region.header.byteCount = 1 << 17
        #expect(heap.checkInvariants() != nil)
        region.header.byteCount = 1 << 14
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
        heap.free(m)
    }
}

@Suite struct PartialListOrderTests {
    /// Spans that regain free slots queue behind those that regained them earlier, so malloc
    /// refills from the span that has gathered the most frees.
    @Test func mallocTakesTheSpanThatBecamePartialFirst() throws {
        var (heap, _, log) = makeHeap()
        // Full spans of the 1024 class: three of 4 KiB (3 slots each), then a current one.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< (3 + 3 + 3 + 1) { blocks.append(try unwrap(heap.allocate(byteCount: 1024))) }
        let spanOf = { (p: UnsafeMutableRawPointer) in UInt(bitPattern: p) & ~0xFFFF }
        let firstSpan = spanOf(blocks[0])
        let secondSpan = spanOf(blocks[3])
        #expect(firstSpan != secondSpan && spanOf(blocks[9]) != spanOf(blocks[8]))
        heap.free(blocks[0])  // first span becomes partial first,
        heap.free(blocks[3])  // then the second span
        heap.free(blocks[1])  // first span: two free slots now
        #expect(heap.checkInvariants() == nil)
        // Drain the current span, then the next malloc must come from the first span.
        var refills: [UnsafeMutableRawPointer] = []
        while refills.count < 64 {
            let p = try unwrap(heap.allocate(byteCount: 1024))
            refills.append(p)
            if spanOf(p) == firstSpan || spanOf(p) == secondSpan { break }
        }
        #expect(spanOf(refills.last!) == firstSpan)
        #expect(heap.checkInvariants() == nil)
        for (index, p) in blocks.enumerated() where ![0, 1, 3].contains(index) { heap.free(p) }
        for p in refills { heap.free(p) }
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty)
    }
}

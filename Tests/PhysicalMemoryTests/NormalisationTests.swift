// Normalising memory maps: sorting, overlap resolution, merging, alignment, capacity.
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

@Suite struct NormalisationTests {
    @Test func sortsUnsortedRegions() {
        let result = map([
            MemoryRegion(start: 0x10000, end: 0x20000, kind: .reserved),
            MemoryRegion(start: 0, end: 0x8000, kind: .usable),
        ]).normalised()
        #expect(
            regions(of: result) == [
                MemoryRegion(start: 0, end: 0x8000, kind: .usable),
                MemoryRegion(start: 0x10000, end: 0x20000, kind: .reserved),
            ])
    }

    @Test func reservedWinsOverUsableOverlap() {
        let result = map([
            MemoryRegion(start: 0, end: 0x10000, kind: .usable),
            MemoryRegion(start: 0x4000, end: 0x6000, kind: .reserved),
        ]).normalised()
        #expect(
            regions(of: result) == [
                MemoryRegion(start: 0, end: 0x4000, kind: .usable),
                MemoryRegion(start: 0x4000, end: 0x6000, kind: .reserved),
                MemoryRegion(start: 0x6000, end: 0x10000, kind: .usable),
            ])
    }

    @Test func everyNonUsableKindBeatsUsable() {
        for kind: MemoryRegionKind in [.reserved, .acpiReclaimable, .acpiNonVolatile, .defective, .unknown(9)] {
            let result = map([
                MemoryRegion(start: 0x3000, end: 0x5000, kind: kind),
                MemoryRegion(start: 0, end: 0x8000, kind: .usable),
            ]).normalised()
            #expect(regions(of: result)[1] == MemoryRegion(start: 0x3000, end: 0x5000, kind: kind))
            #expect(result.usableByteCount == 0x6000)
        }
    }

    @Test func moreRestrictiveNonUsableKindWins() {
        let result = map([
            MemoryRegion(start: 0, end: 0x4000, kind: .acpiReclaimable),
            MemoryRegion(start: 0x2000, end: 0x3000, kind: .defective),
        ]).normalised()
        #expect(
            regions(of: result) == [
                MemoryRegion(start: 0, end: 0x2000, kind: .acpiReclaimable),
                MemoryRegion(start: 0x2000, end: 0x3000, kind: .defective),
                MemoryRegion(start: 0x3000, end: 0x4000, kind: .acpiReclaimable),
            ])
    }

    @Test func mergesAdjacentAndOverlappingSameKind() {
        let result = map([
            MemoryRegion(start: 0x2000, end: 0x5000, kind: .usable),
            MemoryRegion(start: 0, end: 0x2000, kind: .usable),
            MemoryRegion(start: 0x4000, end: 0x9000, kind: .usable),
            MemoryRegion(start: 0x9000, end: 0xA000, kind: .reserved),
            MemoryRegion(start: 0xA000, end: 0xB000, kind: .reserved),
        ]).normalised()
        #expect(
            regions(of: result) == [
                MemoryRegion(start: 0, end: 0x9000, kind: .usable),
                MemoryRegion(start: 0x9000, end: 0xB000, kind: .reserved),
            ])
    }

    @Test func gapsStayGapsAndDifferentKindsStaySeparate() {
        let result = map([
            MemoryRegion(start: 0, end: 0x1000, kind: .usable),
            MemoryRegion(start: 0x3000, end: 0x4000, kind: .usable),
            MemoryRegion(start: 0x4000, end: 0x5000, kind: .acpiReclaimable),
        ]).normalised()
        #expect(result.count == 3)
        #expect(result.normalisationViolation() == nil)
    }

    @Test func usableIsAlignedInwardsAndVanishingRegionsDropped() {
        let result = map([
            MemoryRegion(start: 0x800, end: 0x3800, kind: .usable),
            MemoryRegion(start: 0x5100, end: 0x5F00, kind: .usable),
            MemoryRegion(start: 0x8800, end: 0x8900, kind: .reserved),
        ]).normalised()
        #expect(
            regions(of: result) == [
                MemoryRegion(start: 0x1000, end: 0x3000, kind: .usable),
                MemoryRegion(start: 0x8800, end: 0x8900, kind: .reserved),
            ])
    }

    @Test func zeroLengthRegionsAreDropped() {
        let result = map([
            MemoryRegion(start: 0x1000, end: 0x1000, kind: .reserved),
            MemoryRegion(start: 0, end: 0x2000, kind: .usable),
        ]).normalised()
        #expect(regions(of: result) == [MemoryRegion(start: 0, end: 0x2000, kind: .usable)])
    }

    @Test func regionsAboveFourGiBSurvive() {
        let result = map([
            MemoryRegion(start: 0x1_0000_0000, end: 0x2_0000_0000, kind: .usable),
            MemoryRegion(start: 0xfd_0000_0000, end: 0x100_0000_0000, kind: .reserved),
        ]).normalised()
        #expect(result.count == 2 && result.usableByteCount == 4 * GiB)
    }

    @Test func normalisingTwiceChangesNothing() {
        let once = parse(multibootBytes(qemu6GiBEntries)).map.normalised()
        #expect(regions(of: once.normalised()) == regions(of: once))
    }

    @Test func capacityOverflowIsReported() {
        // 128 alternating usable/reserved pieces plus a reserved region splitting each usable
        // piece in two: the normalised result needs more than 128 regions.
        var input = MemoryMap()
        for index in 0 ..< 64 {
            let base = UInt64(index) * 0x10000
            input.append(MemoryRegion(start: base, end: base + 0x8000, kind: .usable))
            input.append(MemoryRegion(start: base + 0x3000, end: base + 0x4000, kind: .reserved))
        }
        input.append(MemoryRegion(start: 0x10_0000_0000, end: 0x10_0000_1000, kind: .usable))
        let result = input.normalised()
        #expect(result.count == MemoryMap.capacity)
        #expect(result.droppedForCapacity == 64 * 3 + 1 - MemoryMap.capacity)
        #expect(result.normalisationViolation() == nil)
        var full = MemoryMap()
        for index in 0 ..< 129 {
            full.append(MemoryRegion(start: UInt64(index) * 0x2000, end: UInt64(index) * 0x2000 + 0x1000, kind: .usable))
        }
        #expect(full.count == 128 && full.droppedForCapacity == 1)
    }

    /// Random maps against a byte-granular reference: every 256-byte cell gets the winning kind.
    @Test func randomMapsMatchACellModel() {
        var rng = SeededGenerator(seed: 0x5EED_0001)
        let kinds: [MemoryRegionKind] = [
            .usable, .usable, .usable, .reserved, .acpiReclaimable, .acpiNonVolatile, .defective, .unknown(7),
        ]
        for _ in 0 ..< 300 {
            var input = MemoryMap()
            var cells = [MemoryRegionKind?](repeating: nil, count: 256)
            for _ in 0 ..< Int.random(in: 0 ... 12, using: &rng) {
                let start = Int.random(in: 0 ..< 256, using: &rng)
                let end = Int.random(in: start ... 256, using: &rng)
                let kind = kinds.randomElement(using: &rng)!
                input.append(MemoryRegion(start: UInt64(start) * 256, end: UInt64(end) * 256, kind: kind))
                for cell in start ..< end where cells[cell] == nil || cells[cell]!.overlapPrecedence < kind.overlapPrecedence {
                    cells[cell] = kind
                }
            }
            let result = input.normalised()
            #expect(result.normalisationViolation() == nil)
            for cell in 0 ..< 256 {
                let address = PhysicalAddress(UInt64(cell) * 256)
                let found = regions(of: result).first { $0.range.contains(address) }?.kind
                var expected = cells[cell]
                if expected == .usable {
                    // Usable survives only in whole frames that are entirely usable.
                    let frame = cell / 16
                    if !(frame * 16 ..< frame * 16 + 16).allSatisfy({ cells[$0] == .usable }) { expected = nil }
                }
                #expect(found == expected, "cell \(cell)")
            }
        }
    }
}

// Decoding multiboot1 memory-map bytes: entries kept as given, and every dropped entry counted.
@testable import PhysicalMemory
import MemoryCore
import Testing

@Suite struct MultibootParserTests {
    @Test func decodesEntriesInFirmwareOrder() {
        let result = parse(
            multibootBytes([
                reservedEntry(0x9fc00, 0xa0000), usableEntry(0, 0x9fc00),
                RawEntry(base: 0x7000, length: 0x1000, type: 3),
            ]))
        #expect(
            regions(of: result.map) == [
                MemoryRegion(start: 0x9fc00, end: 0xa0000, kind: .reserved),
                MemoryRegion(start: 0, end: 0x9fc00, kind: .usable),
                MemoryRegion(start: 0x7000, end: 0x8000, kind: .acpiReclaimable),
            ])
        #expect(result.droppedZeroLength == 0 && result.droppedTruncated == 0 && result.clampedForOverflow == 0)
    }

    @Test func mapsEveryTypeValue() {
        #expect(MemoryRegionKind(multibootType: 1) == .usable)
        #expect(MemoryRegionKind(multibootType: 2) == .reserved)
        #expect(MemoryRegionKind(multibootType: 3) == .acpiReclaimable)
        #expect(MemoryRegionKind(multibootType: 4) == .acpiNonVolatile)
        #expect(MemoryRegionKind(multibootType: 5) == .defective)
        #expect(MemoryRegionKind(multibootType: 0) == .unknown(0))
        #expect(MemoryRegionKind(multibootType: 77) == .unknown(77))
        #expect(MemoryRegionKind.acpiNonVolatile.name.description == "acpi-nvs")
        #expect(MemoryRegionKind.defective.name.description == "bad")
        #expect(MemoryRegionKind.unknown(9).name.description == "unknown")
        #expect(MemoryRegionKind.acpiReclaimable.name.description == "acpi-reclaim")
    }

    @Test func emptyBufferGivesEmptyMap() {
        let result = parse([])
        #expect(result.map.count == 0 && result.droppedTruncated == 0)
    }

    @Test func zeroLengthEntriesAreDroppedAndCounted() {
        let result = parse(
            multibootBytes([
                usableEntry(0, 0x1000), RawEntry(base: 0x5000, length: 0, type: 1),
                RawEntry(base: 0x6000, length: 0, type: 2), usableEntry(0x8000, 0x9000),
            ]))
        #expect(result.map.count == 2)
        #expect(result.droppedZeroLength == 2)
    }

    @Test func entryRunningPastTheEndIsTruncatedAndStopsParsing() {
        var bytes = multibootBytes([usableEntry(0, 0x1000), usableEntry(0x2000, 0x3000)])
        bytes.removeLast(3)
        let result = parse(bytes)
        #expect(regions(of: result.map) == [MemoryRegion(start: 0, end: 0x1000, kind: .usable)])
        #expect(result.droppedTruncated == 1)
    }

    @Test func sizeFieldClaimingTooMuchIsTruncated() {
        let bytes = multibootBytes([usableEntry(0, 0x1000), RawEntry(size: 400, base: 0x2000, length: 0x1000, type: 1)])
        let result = parse(bytes)
        #expect(result.map.count == 1 && result.droppedTruncated == 1)
    }

    @Test func sizeBelowTwentyIsSkippedAndParsingContinues() {
        // An entry with size 8 occupies 12 bytes: its size field plus 8 bytes of junk.
        var bytes = multibootBytes([usableEntry(0, 0x1000)])
        appendLittleEndian(&bytes, 8, byteCount: 4)
        appendLittleEndian(&bytes, 0xDEAD_BEEF, byteCount: 8)
        bytes += multibootBytes([usableEntry(0x3000, 0x4000)])
        let result = parse(bytes)
        #expect(
            regions(of: result.map) == [
                MemoryRegion(start: 0, end: 0x1000, kind: .usable),
                MemoryRegion(start: 0x3000, end: 0x4000, kind: .usable),
            ])
        #expect(result.droppedTruncated == 1)
    }

    @Test func trailingBytesTooShortForASizeFieldAreTruncated() {
        let result = parse(multibootBytes([usableEntry(0, 0x1000)]) + [1, 2])
        #expect(result.map.count == 1 && result.droppedTruncated == 1)
    }

    @Test func largerEntriesAreSteppedOverBySize() {
        let result = parse(
            multibootBytes([
                RawEntry(base: 0, length: 0x1000, type: 1, padding: 4),
                RawEntry(base: 0x4000, length: 0x1000, type: 2, padding: 12),
            ]))
        #expect(
            regions(of: result.map) == [
                MemoryRegion(start: 0, end: 0x1000, kind: .usable),
                MemoryRegion(start: 0x4000, end: 0x5000, kind: .reserved),
            ])
        #expect(result.droppedTruncated == 0)
    }

    @Test func overflowingEndIsClampedToTheLastByte() {
        let result = parse(
            multibootBytes([
                RawEntry(base: 0xFFFF_FFFF_FFFF_0000, length: 0x20000, type: 2),
                RawEntry(base: 0xFFFF_FFFF_FFFF_0000, length: 0x20000, type: 1),
            ]))
        #expect(result.clampedForOverflow == 2)
        #expect(result.map[0].range == bytes(0xFFFF_FFFF_FFFF_0000, UInt64.max))
        // The clamped usable region loses its partial last frame when normalised; the reserved
        // one wins the overlap anyway.
        let normalised = result.map.normalised()
        #expect(regions(of: normalised) == [MemoryRegion(start: 0xFFFF_FFFF_FFFF_0000, end: UInt64.max, kind: .reserved)])
    }

    @Test func regionsAboveFourGiBAreKept() {
        let result = parse(multibootBytes(qemu6GiBEntries))
        #expect(result.map.count == 8)
        #expect(result.map[6] == MemoryRegion(start: 0x1_0000_0000, end: 0x1_c000_0000, kind: .usable))
        #expect(result.map[7] == MemoryRegion(start: 0xfd_0000_0000, end: 0x100_0000_0000, kind: .reserved))
    }

    @Test func moreEntriesThanCapacityAreCounted() {
        let entries = (0 ..< 130).map { usableEntry(UInt64($0) * 0x2000, UInt64($0) * 0x2000 + 0x1000) }
        let result = parse(multibootBytes(entries))
        #expect(result.map.count == MemoryMap.capacity)
        #expect(result.map.droppedForCapacity == 2)
        #expect(result.map.normalised().droppedForCapacity == 2)
    }

    @Test func qemuMapsDecodeToTheExpectedUsableMemory() {
        for megabytes: UInt64 in [32, 128] {
            let map = parse(multibootBytes(qemuSmallEntries(megabytes: megabytes))).map.normalised()
            #expect(map.normalisationViolation() == nil)
            #expect(map.usableByteCount == 0x9f000 + (megabytes * MiB - 0x2000 - 0x100000))
        }
        let map = parse(multibootBytes(qemu6GiBEntries)).map.normalised()
        let usable = regions(of: map).filter { $0.kind == .usable }.map(\.range)
        #expect(usable == [bytes(0, 0x9f000), bytes(0x100000, 0xc000_0000), bytes(0x1_0000_0000, 0x1_c000_0000)])
        #expect(map.usableByteCount == 6 * GiB - 0x100000 + 0x9f000)
    }
}

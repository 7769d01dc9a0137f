// Framing of the multiboot2 memory-map tag and the EFI memory-map tag: malformed tags lose
// nothing silently (every cut-off entry is counted) and never read past the buffer.
@testable import PhysicalMemory
import MemoryCore
import Testing

@Suite struct Multiboot2ParserTests {
    @Test func decodesEntriesInOrderWithTheMultiboot1Types() {
        let result = parseMultiboot2(
            multiboot2MapTag([
                usableEntry(0x100000, 0x200000), reservedEntry(0, 0x1000),
                RawEntry(base: 0x5000, length: 0x1000, type: 20),
            ]))
        #expect(
            regions(of: result.map) == [
                MemoryRegion(start: 0x100000, end: 0x200000, kind: .usable),
                MemoryRegion(start: 0, end: 0x1000, kind: .reserved),
                MemoryRegion(start: 0x5000, end: 0x6000, kind: .unknown(20)),
            ])
        #expect(result.droppedTruncated == 0)
    }

    @Test func largerEntriesAreSteppedOverByEntrySize() {
        let result = parseMultiboot2(multiboot2MapTag([usableEntry(0, 0x1000), reservedEntry(0x1000, 0x2000)], entrySize: 40))
        #expect(
            regions(of: result.map) == [
                MemoryRegion(start: 0, end: 0x1000, kind: .usable),
                MemoryRegion(start: 0x1000, end: 0x2000, kind: .reserved),
            ])
    }

    @Test func unframeableTagsGiveNoEntriesAndOneTruncation() {
        var wrongType = multiboot2MapTag([usableEntry(0, 0x1000)])
        wrongType[0] = 7
        var tinyEntries = multiboot2MapTag([usableEntry(0, 0x1000)])
        tinyEntries[8] = 16
        for bytes in [[UInt8](repeating: 0, count: 15), wrongType, tinyEntries] {
            let result = parseMultiboot2(bytes)
            #expect(result.map.count == 0 && result.droppedTruncated == 1)
        }
    }

    @Test func sizeBeyondTheBufferAndTrailingBytesAreCounted() {
        var cut = multiboot2MapTag([usableEntry(0, 0x1000), usableEntry(0x2000, 0x3000)])
        cut.removeLast(5)  // size still claims two whole entries
        let result = parseMultiboot2(cut)
        #expect(regions(of: result.map) == [MemoryRegion(start: 0, end: 0x1000, kind: .usable)])
        #expect(result.droppedTruncated == 1)
    }

    @Test func zeroLengthAndOverflowingEntriesAreAccountedAsInMultiboot1() {
        let result = parseMultiboot2(
            multiboot2MapTag([
                RawEntry(base: 0x1000, length: 0, type: 1),
                RawEntry(base: UInt64.max - 0xfff, length: 0x2000, type: 2),
            ]))
        #expect(result.droppedZeroLength == 1 && result.clampedForOverflow == 1)
        #expect(regions(of: result.map) == [MemoryRegion(start: UInt64.max - 0xfff, end: UInt64.max, kind: .reserved)])
    }

    @Test func efiTypesMapToTheKernelsKinds() {
        let kinds: [(UInt32, MemoryRegionKind)] = [
            (0, .reserved), (1, .usable), (2, .usable), (3, .usable), (4, .usable), (5, .reserved), (6, .reserved),
            (7, .usable), (8, .defective), (9, .acpiReclaimable), (10, .acpiNonVolatile), (11, .reserved),
            (12, .reserved), (13, .reserved), (14, .reserved), (0x7000_0001, .unknown(0x7000_0001)),
        ]
        for (type, kind) in kinds {
            let result = parseEFI(efiMapTag([(type, 0x10000, 2, 0xf)]))
            #expect(regions(of: result.map) == [MemoryRegion(start: 0x10000, end: 0x12000, kind: kind)])
        }
    }

    @Test func efiDescriptorSizeIsHonouredAndMalformedTagsCounted() {
        let descriptors: [(type: UInt32, base: UInt64, pages: UInt64, attributes: UInt64)] =
            [(7, 0, 16, 0xf), (5, 0x10000, 1, 0x8000_0000_0000_000f), (7, 0x20000, 0, 0)]
        for size in [40, 48, 56] {
            let result = parseEFI(efiMapTag(descriptors, descriptorSize: size))
            #expect(
                regions(of: result.map) == [
                    MemoryRegion(start: 0, end: 0x10000, kind: .usable),
                    MemoryRegion(start: 0x10000, end: 0x11000, kind: .reserved),
                ])
            #expect(result.droppedZeroLength == 1 && result.droppedTruncated == 0)
        }
        // EFIMemoryMapTag reads the bytes it was given: use it inside withUnsafeBytes (reading it
        // after the temporary array is gone was a use-after-free, found by make asan-test).
        let second = efiMapTag(descriptors).withUnsafeBytes { EFIMemoryMapTag($0)[1] }
        #expect(second.attributes == 0x8000_0000_0000_000f && second.typeName.description == "runtime-services-code")
        var short = efiMapTag(descriptors)
        short[8] = 32  // descriptor_size below 40: unframeable
        #expect(parseEFI(short).map.count == 0 && parseEFI(short).droppedTruncated == 1)
        var cut = efiMapTag(descriptors)
        cut.removeLast(10)
        #expect(parseEFI(cut).map.count == 2 && parseEFI(cut).droppedTruncated == 1)
        let overflow = parseEFI(efiMapTag([(7, UInt64.max - 0xfff, 2, 0)]))
        #expect(overflow.clampedForOverflow == 1 && overflow.map[0].range.end.raw == UInt64.max)
    }
}

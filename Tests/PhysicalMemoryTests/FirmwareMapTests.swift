// Real firmware maps (FirmwareMaps.swift: SeaBIOS and OVMF through GRUB, 128 MiB and 6 GiB) run
// through what the kernel does with them: the multiboot2 and multiboot1 parsers (same entries,
// same normalised map), normalisation, the boot reservations and the frame allocator; and the
// UEFI descriptors through the EFI parser, which must agree with GRUB's translation.
@testable import PhysicalMemory
import MemoryCore
import Testing

// MARK: - From log lines back to wire bytes

/// The `key=` value of a log line's field, or nil.
private func field(_ key: String, in line: Substring) -> Substring? {
    line.split(separator: " ").first { $0.hasPrefix(key + "=") }?.dropFirst(key.count + 1)
}

private func hexField(_ key: String, in line: Substring) -> UInt64 {
    UInt64(field(key, in: line)!.dropFirst(2), radix: 16)!
}

/// Multiboot type codes by the kernel's log names (`unknown` carries its `type_code=`).
private func typeCode(_ line: Substring) -> UInt32 {
    switch field("type", in: line)! {
    case "usable": 1
    case "reserved": 2
    case "acpi-reclaim": 3
    case "acpi-nvs": 4
    case "bad": 5
    default: UInt32(field("type_code", in: line)!)!
    }
}

private func lines(_ capture: FirmwareMapCapture, event: String) -> [Substring] {
    capture.log.split(separator: "\n").filter { $0.split(separator: " ").dropFirst(2).first == Substring(event) }
}

extension FirmwareMapCapture {
    /// The map-raw lines as multiboot entries, in logged (firmware) order.
    var entries: [RawEntry] {
        lines(self, event: "map-raw").map { line in
            let base = hexField("base", in: line)
            return RawEntry(base: base, length: hexField("end", in: line) - base, type: typeCode(line))
        }
    }

    /// The map-efi lines as (type, base, pages, attributes).
    var efiDescriptors: [(type: UInt32, base: UInt64, pages: UInt64, attributes: UInt64)] {
        lines(self, event: "map-efi").map { line in
            let base = hexField("base", in: line)
            return (
                UInt32(field("efi_type", in: line)!)!, base, (hexField("end", in: line) - base) / frameSize,
                hexField("attributes", in: line)
            )
        }
    }

    var isUEFI: Bool { machine.contains("OVMF") }
}

/// A multiboot2 memory-map tag (type 6) holding `entries`, with `entrySize`-byte entries.
func multiboot2MapTag(_ entries: [RawEntry], entrySize: Int = 24) -> [UInt8] {
    var bytes: [UInt8] = []
    appendLittleEndian(&bytes, 6, byteCount: 4)
    appendLittleEndian(&bytes, UInt64(16 + entries.count * entrySize), byteCount: 4)
    appendLittleEndian(&bytes, UInt64(entrySize), byteCount: 4)
    appendLittleEndian(&bytes, 0, byteCount: 4)
    for entry in entries {
        appendLittleEndian(&bytes, entry.base, byteCount: 8)
        appendLittleEndian(&bytes, entry.length, byteCount: 8)
        appendLittleEndian(&bytes, UInt64(entry.type), byteCount: 4)
        bytes += [UInt8](repeating: 0, count: entrySize - 20)
    }
    return bytes
}

/// An EFI memory-map tag (type 17) holding `descriptors`, `descriptorSize` bytes each (OVMF: 48).
func efiMapTag(
    _ descriptors: [(type: UInt32, base: UInt64, pages: UInt64, attributes: UInt64)],
    descriptorSize: Int = 48
) -> [UInt8] {
    var bytes: [UInt8] = []
    appendLittleEndian(&bytes, 17, byteCount: 4)
    appendLittleEndian(&bytes, UInt64(16 + descriptors.count * descriptorSize), byteCount: 4)
    appendLittleEndian(&bytes, UInt64(descriptorSize), byteCount: 4)
    appendLittleEndian(&bytes, 1, byteCount: 4)
    for descriptor in descriptors {
        appendLittleEndian(&bytes, UInt64(descriptor.type), byteCount: 4)
        appendLittleEndian(&bytes, 0, byteCount: 4)
        appendLittleEndian(&bytes, descriptor.base, byteCount: 8)
        appendLittleEndian(&bytes, 0, byteCount: 8)
        appendLittleEndian(&bytes, descriptor.pages, byteCount: 8)
        appendLittleEndian(&bytes, descriptor.attributes, byteCount: 8)
        bytes += [UInt8](repeating: 0, count: descriptorSize - 40)
    }
    return bytes
}

func parseMultiboot2(_ bytes: [UInt8]) -> MemoryMapParse { bytes.withUnsafeBytes { MemoryMapParse.parseMultiboot2($0) } }
func parseEFI(_ bytes: [UInt8]) -> MemoryMapParse { bytes.withUnsafeBytes { MemoryMapParse.parseEFIMemoryMap($0) } }

// MARK: - The captured maps

/// What each capture must give, worked out by hand from its lines (see the comments).
struct FirmwareMapExpectation: Sendable, CustomTestStringConvertible {
    let name: String
    let capture: FirmwareMapCapture
    let entryCount: Int
    /// Whole usable frames after normalisation, in bytes.
    let usableBytes: UInt64
    let usableAbove4GiB: UInt64
    let efiDescriptorCount: Int
    var testDescription: String { name }
}

let firmwareMapExpectations = [
    // [0, 0x9fc00) -> 0x9f000 (partial frame trimmed) + [1 MiB, 0x7fe0000)
    FirmwareMapExpectation(
        name: "SeaBIOS 128M", capture: FirmwareMaps.bios128M, entryCount: 7,
        usableBytes: 0x9f000 + 0x7fe0000 - 0x100000, usableAbove4GiB: 0, efiDescriptorCount: 0),
    // + [1 MiB, 0xbffe0000) below the PCI hole and [4 GiB, 7 GiB) above it
    FirmwareMapExpectation(
        name: "SeaBIOS 6G", capture: FirmwareMaps.bios6G, entryCount: 8,
        usableBytes: 0x9f000 + 0xbffe0000 - 0x100000 + 3 * GiB, usableAbove4GiB: 3 * GiB,
        efiDescriptorCount: 0),
    // six usable runs between OVMF's NVS, reserved and runtime-code (type 20) regions
    FirmwareMapExpectation(
        name: "OVMF 128M", capture: FirmwareMaps.uefi128M, entryCount: 17,
        usableBytes: 0xa0000 + 0x706000 + 0x8000 + 0x61a0000 + 0x94a000 + 0x6f6000,
        usableAbove4GiB: 0, efiDescriptorCount: 122),
    FirmwareMapExpectation(
        name: "OVMF 6G", capture: FirmwareMaps.uefi6G, entryCount: 18,
        usableBytes: 0xa0000 + 0x706000 + 0x8000 + 0xbe1a0000 + 0x94a000 + 0x6f6000 + 3 * GiB,
        usableAbove4GiB: 3 * GiB, efiDescriptorCount: 127),
]

@Suite struct FirmwareMapTests {
    @Test(arguments: firmwareMapExpectations)
    func bothMultibootParsersGiveTheLoggedEntries(expected: FirmwareMapExpectation) {
        let entries = expected.capture.entries
        #expect(entries.count == expected.entryCount)
        let viaMultiboot2 = parseMultiboot2(multiboot2MapTag(entries))
        let viaMultiboot1 = parse(multibootBytes(entries))
        let logged = entries.map {
            MemoryRegion(start: $0.base, end: $0.base + $0.length, kind: MemoryRegionKind(multibootType: $0.type))
        }
        #expect(regions(of: viaMultiboot2.map) == logged)
        #expect(regions(of: viaMultiboot1.map) == logged)
        #expect(viaMultiboot2.droppedTruncated + viaMultiboot2.droppedZeroLength + viaMultiboot2.clampedForOverflow == 0)
        #expect(regions(of: viaMultiboot2.map.normalised()) == regions(of: viaMultiboot1.map.normalised()))
    }

    @Test(arguments: firmwareMapExpectations)
    func normalisedMapHasTheExpectedUsableMemory(expected: FirmwareMapExpectation) {
        let map = parseMultiboot2(multiboot2MapTag(expected.capture.entries)).map.normalised()
        #expect(map.normalisationViolation() == nil)
        #expect(map.usableByteCount == expected.usableBytes)
        let above = regions(of: map).filter { $0.kind == .usable && $0.range.start.raw >= 4 * GiB }
        #expect(above.reduce(0) { $0 + $1.range.byteCount } == expected.usableAbove4GiB)
        // Every region the firmware did not call usable is still in the map, not usable.
        for entry in expected.capture.entries where entry.type != 1 {
            let claimed = regions(of: map).filter { $0.range.overlaps(bytes(entry.base, entry.base + entry.length)) }
            #expect(!claimed.isEmpty && claimed.allSatisfy { $0.kind != .usable })
        }
    }

    /// The kernel's boot sequence over the map: no frame it can ever hand out touches a byte the
    /// firmware reserved (reserved, ACPI, NVS, EFI runtime code) or a boot reservation, and the
    /// RAM above 4 GiB is managed.
    @Test(arguments: firmwareMapExpectations)
    func bootNeverHandsOutFirmwareMemory(expected: FirmwareMapExpectation) throws {
        let entries = expected.capture.entries
        let booted = try boot(normalised: parseMultiboot2(multiboot2MapTag(entries)).map.normalised())
        let frames = booted.fixture.allocator
        let forbidden =
            entries.filter { $0.type != 1 }.map { bytes($0.base, $0.base + $0.length) }
            + (0 ..< booted.reservations.count).map { booted.reservations[$0].range }
        for index in 0 ..< booted.usable.count {
            let range = booted.usable[index].physicalRange
            #expect(!forbidden.contains { $0.overlaps(range) }, "usable \(range) overlaps firmware or boot memory")
            #expect(entries.contains { $0.type == 1 && $0.base <= range.start.raw && range.end.raw <= $0.base + $0.length })
        }
        #expect(frames.totalFrames == booted.usable.frameCount)
        let boot = booted.reservations.touchedFrameCount
        #expect(
            frames.totalFrames <= expected.usableBytes / frameSize
                && frames.totalFrames + boot >= expected.usableBytes / frameSize)
        #expect(frames.checkInvariants() == nil)
        if expected.usableAbove4GiB > 0 {
            // 3 GiB in one run exists only above the PCI hole (below it, the first MiB, the
            // kernel and the hole's edge leave less): [4 GiB, 7 GiB) exactly.
            let run = try frames.allocate(count: 3 * GiB / frameSize, alignment: 512)
            #expect(run.startAddress == PhysicalAddress(4 * GiB))
            try frames.free(runStartingAt: run, count: 3 * GiB / frameSize)
        } else {
            var handedOut = 0 as UInt64
            while let frame = try? frames.allocate() {
                #expect(!forbidden.contains { $0.overlaps(FrameRange(frame, FrameNumber(frame.raw + 1)).physicalRange) })
                handedOut += 1
            }
            #expect(handedOut == frames.totalFrames)
        }
        #expect(frames.checkInvariants() == nil)
    }

    @Test(arguments: firmwareMapExpectations.filter(\.capture.isUEFI))
    func efiDescriptorsAgreeWithGrubsTranslation(expected: FirmwareMapExpectation) {
        let descriptors = expected.capture.efiDescriptors
        #expect(descriptors.count == expected.efiDescriptorCount)
        let tag = efiMapTag(descriptors)
        let (count, truncated) = tag.withUnsafeBytes { bytes in
            let framing = EFIMemoryMapTag(bytes)  // reads `bytes`: must not outlive the closure
            return (framing.count, framing.truncated)
        }
        #expect(count == expected.efiDescriptorCount && truncated == 0)
        let fromEFI = parseEFI(tag)
        #expect(fromEFI.map.droppedForCapacity == 0 && fromEFI.droppedTruncated == 0)
        let efiMap = fromEFI.map.normalised()
        let loaderMap = parseMultiboot2(multiboot2MapTag(expected.capture.entries)).map.normalised()
        // The same usable RAM, range for range.
        #expect(regions(of: efiMap).filter { $0.kind == .usable } == regions(of: loaderMap).filter { $0.kind == .usable })
        #expect(tag.withUnsafeBytes { EFIMemoryMapTag($0).usableByteCount } == expected.usableBytes)
        // Runtime-services memory (the firmware may still run there) is never usable.
        for descriptor in descriptors where descriptor.type == 5 || descriptor.type == 6 {
            let range = bytes(descriptor.base, descriptor.base + descriptor.pages * frameSize)
            #expect(!regions(of: loaderMap).contains { $0.kind == .usable && $0.range.overlaps(range) })
        }
    }
}

// Fuzz target `multiboot`: the boot path from the loader's memory-map bytes to usable frames.
//
// Input: byte 0 = n (low 4 bits, mod 9) reservations of 16 bytes each (start u64, length u64,
// little-endian) and the wire format (bits 4-5: 1 = a multiboot2 memory-map tag, 2 = a UEFI
// memory-map tag (multiboot2 tag 17), else the multiboot1 map), then the map bytes. Checked:
//   - the parser agrees entry for entry with a plain re-decoding (UInt128 sums), counts included;
//   - the normalised map satisfies normalisationViolation() == nil, normalising is idempotent, no
//     byte of a non-usable input region is usable in the output, every non-usable boundary keeps
//     its winning kind, and gaps stay gaps;
//   - UsableFrameRanges (from the raw and from the normalised map) agree, satisfy their invariants,
//     lie inside usable RAM and touch no reservation;
//   - a FrameAllocator built over them (spans up to 64 Ki frames) starts with exactly those frames
//     free and passes checkInvariants().
import MemoryCore
import PhysicalMemory

/// One decoded entry of the plain reference decoding.
struct PlainEntry {
    var start: UInt64
    var end: UInt64
    var type: UInt32
}

func le(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ width: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in (0 ..< width).reversed() { value = value << 8 | UInt64(bytes[at + index]) }
    return value
}

/// The multiboot1 map decoded the plain way: (kept entries, zero-length, undecodable, clamped).
func plainDecode(_ bytes: UnsafeRawBufferPointer) -> ([PlainEntry], Int, Int, Int) {
    var entries: [PlainEntry] = [], zero = 0, truncated = 0, clamped = 0
    var offset = 0
    while offset < bytes.count {
        if bytes.count - offset < 4 {
            truncated += 1
            break
        }
        let size = Int(le(bytes, offset, 4))
        if offset + 4 + size > bytes.count {
            truncated += 1
            break
        }
        if size < 20 {
            truncated += 1
        } else {
            plainRecord(
                base: le(bytes, offset + 4, 8), length: le(bytes, offset + 12, 8), type: UInt32(le(bytes, offset + 20, 4)),
                &entries, &zero, &clamped)
        }
        offset += 4 + size
    }
    return (entries, zero, truncated, clamped)
}

/// Keeps (base, base + length) unless empty, clamping an end past 2^64 to 2^64 - 1.
func plainRecord(
    base: UInt64, length: UInt128, type: UInt32, _ entries: inout [PlainEntry], _ zero: inout Int, _ clamped: inout Int
) {
    if length == 0 {
        zero += 1
        return
    }
    let end = UInt128(base) + length
    if end > UInt128(UInt64.max) { clamped += 1 }
    entries.append(PlainEntry(start: base, end: UInt64(min(end, UInt128(UInt64.max))), type: type))
}

func plainRecord(
    base: UInt64, length: UInt64, type: UInt32, _ entries: inout [PlainEntry], _ zero: inout Int, _ clamped: inout Int
) {
    plainRecord(base: base, length: UInt128(length), type: type, &entries, &zero, &clamped)
}

/// A multiboot2 memory-map tag decoded the plain way (Multiboot2 Specification 3.6.8).
func plainDecodeMultiboot2(_ bytes: UnsafeRawBufferPointer) -> ([PlainEntry], Int, Int, Int) {
    var entries: [PlainEntry] = [], zero = 0, clamped = 0
    guard bytes.count >= 16, le(bytes, 0, 4) == 6 else { return ([], 0, 1, 0) }
    let size = min(Int(le(bytes, 4, 4)), bytes.count), entrySize = Int(le(bytes, 8, 4))
    guard entrySize >= 20, size >= 16 else { return ([], 0, 1, 0) }
    var offset = 16
    while offset + entrySize <= size {
        plainRecord(
            base: le(bytes, offset, 8), length: le(bytes, offset + 8, 8), type: UInt32(le(bytes, offset + 16, 4)),
            &entries, &zero, &clamped)
        offset += entrySize
    }
    return (entries, zero, offset < size ? 1 : 0, clamped)
}

/// The UEFI memory types (UEFI 2.10, 7.2) as the kernel's kinds: loader, boot-services and
/// conventional memory are free RAM once boot services are gone; runtime-services, MMIO, PAL code,
/// persistent and reserved memory must be kept; unusable, ACPI reclaim and ACPI NVS as named.
func plainEFIType(_ type: UInt32) -> MemoryRegionKind {
    switch type {
    case 1, 2, 3, 4, 7: .usable
    case 0, 5, 6, 11, 12, 13, 14: .reserved
    case 8: .defective
    case 9: .acpiReclaimable
    case 10: .acpiNonVolatile
    default: .unknown(type)
    }
}

/// A UEFI memory-map tag (multiboot2 tag 17) decoded the plain way; kinds in `efiKinds`.
func plainDecodeEFI(_ bytes: UnsafeRawBufferPointer, _ efiKinds: inout [MemoryRegionKind]) -> ([PlainEntry], Int, Int, Int) {
    var entries: [PlainEntry] = [], zero = 0, clamped = 0
    guard bytes.count >= 16, le(bytes, 0, 4) == 17, le(bytes, 8, 4) >= 40 else { return ([], 0, 1, 0) }
    let size = max(16, min(Int(le(bytes, 4, 4)), bytes.count)), descriptorSize = Int(le(bytes, 8, 4))
    var offset = 16
    while offset + descriptorSize <= size {
        let before = entries.count
        plainRecord(
            base: le(bytes, offset + 8, 8), length: UInt128(le(bytes, offset + 24, 8)) * 4096,
            type: UInt32(le(bytes, offset, 4)), &entries, &zero, &clamped)
        if entries.count > before { efiKinds.append(plainEFIType(UInt32(le(bytes, offset, 4)))) }
        offset += descriptorSize
    }
    return (entries, zero, offset < size ? 1 : 0, clamped)
}

func precedence(_ kind: MemoryRegionKind) -> Int {
    switch kind {
    case .usable: 0
    case .acpiReclaimable: 1
    case .unknown: 2
    case .reserved: 3
    case .acpiNonVolatile: 4
    case .defective: 5
    }
}

/// The kind of highest precedence among `regions` containing `address`, nil in a gap.
func winningKind(_ regions: [MemoryRegion], at address: UInt64) -> MemoryRegionKind? {
    var winner: MemoryRegionKind? = nil
    for region in regions where region.range.start.raw <= address && address < region.range.end.raw {
        if winner == nil || precedence(region.kind) > precedence(winner!) { winner = region.kind }
    }
    return winner
}

func regions(_ map: MemoryMap) -> [MemoryRegion] { (0 ..< map.count).map { map[$0] } }

func checkParse(_ mapBytes: UnsafeRawBufferPointer, format: Int) -> MemoryMapParse {
    var efiKinds: [MemoryRegionKind] = []
    let parse: MemoryMapParse
    let (entries, zero, truncated, clamped): ([PlainEntry], Int, Int, Int)
    switch format {
    case 1:
        (parse, (entries, zero, truncated, clamped)) = (MemoryMapParse.parseMultiboot2(mapBytes), plainDecodeMultiboot2(mapBytes))
    case 2:
        (parse, (entries, zero, truncated, clamped)) = (
            MemoryMapParse.parseEFIMemoryMap(mapBytes), plainDecodeEFI(mapBytes, &efiKinds)
        )
    default: (parse, (entries, zero, truncated, clamped)) = (MemoryMap.parseMultiboot(mapBytes), plainDecode(mapBytes))
    }
    fuzzRequire(
        parse.droppedZeroLength == zero && parse.droppedTruncated == truncated && parse.clampedForOverflow == clamped,
        "parse counts \(parse.droppedZeroLength)/\(parse.droppedTruncated)/\(parse.clampedForOverflow) vs \(zero)/\(truncated)/\(clamped)"
    )
    fuzzRequire(
        parse.map.count == min(entries.count, MemoryMap.capacity)
            && parse.map.droppedForCapacity == entries.count - parse.map.count,
        "parse kept \(parse.map.count) of \(entries.count)")
    for index in 0 ..< parse.map.count {
        let region = parse.map[index], entry = entries[index]
        let kind = format == 2 ? efiKinds[index] : MemoryRegionKind(multibootType: entry.type)
        fuzzRequire(
            region.range.start.raw == entry.start && region.range.end.raw == entry.end && region.kind == kind,
            "entry \(index) differs")
    }
    return parse
}

func checkNormalised(_ input: MemoryMap) -> MemoryMap {
    let output = input.normalised()
    fuzzRequire(output.normalisationViolation() == nil, "normalised map: \(String(describing: output.normalisationViolation()))")
    let again = output.normalised()
    fuzzRequire(regions(again) == regions(output), "normalising twice changed the map")
    let given = regions(input), result = regions(output)
    // Safety: usable output bytes were usable input bytes nobody else claimed.
    for region in result where region.kind == .usable {
        for claim in given
        where claim.kind != .usable && claim.range.start < region.range.end && region.range.start < claim.range.end {
            fuzzRequire(false, "usable output \(region.range) overlaps a \(claim.kind) input region")
        }
    }
    // Exactness at every input boundary (and the byte before it) while nothing was dropped.
    guard output.droppedForCapacity == input.droppedForCapacity else { return output }
    for region in given {
        for point in [region.range.start.raw, region.range.end.raw, region.range.end.raw &- 1, region.range.start.raw &- 1] {
            let expected = winningKind(given, at: point)
            let found = result.first { $0.range.start.raw <= point && point < $0.range.end.raw }?.kind
            switch expected {
            case nil: fuzzRequire(found == nil, "gap at \(point) became \(String(describing: found))")
            case .usable?:
                fuzzRequire(found == nil || found == .usable, "usable byte \(point) became \(String(describing: found))")
            case let kind?: fuzzRequire(found == kind, "byte \(point): \(String(describing: found)) instead of \(kind)")
            }
        }
    }
    return output
}

func readReservations(_ bytes: UnsafeRawBufferPointer, count: Int) -> ReservationList {
    var list = ReservationList()
    for index in 0 ..< count {
        let start = le(bytes, 16 * index, 8), length = le(bytes, 16 * index + 8, 8)
        let end = UInt64(min(UInt128(start) + UInt128(length), UInt128(UInt64.max)))
        do throws(ReservationListError) {
            try list.add(PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(end)), reason: .bootModule)
        } catch {
            fuzzRequire(false, "reservation \(index) refused: \(error)")
        }
    }
    return list
}

func checkUsable(raw: MemoryMap, normalised: MemoryMap, reservations: ReservationList) {
    let usable = UsableFrameRanges(map: normalised, reservations: reservations)
    let fromRaw = UsableFrameRanges(map: raw, reservations: reservations)
    fuzzRequire(usable.checkInvariants() == nil, "usable ranges: \(String(describing: usable.checkInvariants()))")
    fuzzRequire(
        usable.count == fromRaw.count && (0 ..< usable.count).allSatisfy { usable[$0] == fromRaw[$0] },
        "usable ranges from the raw and the normalised map differ")
    for index in 0 ..< usable.count {
        let range = usable[index].physicalRange
        fuzzRequire(
            regions(normalised).contains { $0.kind == .usable && $0.range.start <= range.start && range.end <= $0.range.end },
            "usable range \(range) not inside usable RAM")
        for reserved in 0 ..< reservations.count {
            let cut = reservations[reserved].range.touchedFrames
            fuzzRequire(
                cut.isEmpty || !(cut.start < usable[index].end && usable[index].start < cut.end),
                "usable range \(range) touches a reservation")
        }
    }
    let span = usable.span
    guard usable.count > 0, span.count <= 1 << 16 else { return }
    let byteCount = Int(FrameAllocator.metadataByteCount(managing: span))
    let storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 8)
    defer { storage.deallocate() }
    do throws(FrameAllocatorSetupError) {
        let frames = try FrameAllocator(
            span: span, storage: storage, storageByteCount: UInt64(byteCount),
            usable: usable, reservations: reservations)
        fuzzRequire(frames.checkInvariants() == nil, "frame allocator: \(String(describing: frames.checkInvariants()))")
        fuzzRequire(
            frames.statistics.freeFrames == usable.frameCount,
            "free frames \(frames.statistics.freeFrames) != \(usable.frameCount)")
    } catch {
        fuzzRequire(false, "frame allocator refused its own usable ranges: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultiboot(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let first = input.first else { return 0 }
    let reservationCount = min(Int(first & 0xF) % 9, (input.count - 1) / 16)
    let format = Int(first >> 4) & 3
    let reservationBytes = UnsafeRawBufferPointer(rebasing: input[1 ..< 1 + 16 * reservationCount])
    let mapBytes = UnsafeRawBufferPointer(rebasing: input[(1 + 16 * reservationCount)...])
    let parse = checkParse(mapBytes, format: format)
    let normalised = checkNormalised(parse.map)
    checkUsable(raw: parse.map, normalised: normalised, reservations: readReservations(reservationBytes, count: reservationCount))
    return 0
}

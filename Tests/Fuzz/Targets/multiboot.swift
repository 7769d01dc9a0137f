// Fuzz target `multiboot`: the boot path from the loader's memory-map bytes to usable frames.
//
// Input: byte 0 = n (mod 9) reservations of 16 bytes each (start u64, length u64, little-endian),
// then the multiboot1 memory map bytes. Checked for every input:
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
struct PlainEntry { var start: UInt64; var end: UInt64; var type: UInt32 }

func le(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ width: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in (0 ..< width).reversed() { value = value << 8 | UInt64(bytes[at + index]) }
    return value
}

/// The multiboot map decoded the plain way: (kept entries, zero-length, undecodable, clamped).
func plainDecode(_ bytes: UnsafeRawBufferPointer) -> ([PlainEntry], Int, Int, Int) {
    var entries: [PlainEntry] = [], zero = 0, truncated = 0, clamped = 0
    var offset = 0
    while offset < bytes.count {
        if bytes.count - offset < 4 { truncated += 1; break }
        let size = Int(le(bytes, offset, 4))
        if offset + 4 + size > bytes.count { truncated += 1; break }
        if size < 20 { truncated += 1 } else {
            let base = le(bytes, offset + 4, 8), length = le(bytes, offset + 12, 8), type = UInt32(le(bytes, offset + 20, 4))
            if length == 0 { zero += 1 } else {
                let end = UInt128(base) + UInt128(length)
                if end > UInt128(UInt64.max) { clamped += 1 }
                entries.append(PlainEntry(start: base, end: UInt64(min(end, UInt128(UInt64.max))), type: type))
            }
        }
        offset += 4 + size
    }
    return (entries, zero, truncated, clamped)
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

func checkParse(_ mapBytes: UnsafeRawBufferPointer) -> MemoryMapParse {
    let parse = MemoryMap.parseMultiboot(mapBytes)
    let (entries, zero, truncated, clamped) = plainDecode(mapBytes)
    fuzzRequire(parse.droppedZeroLength == zero && parse.droppedTruncated == truncated && parse.clampedForOverflow == clamped,
                "parse counts \(parse.droppedZeroLength)/\(parse.droppedTruncated)/\(parse.clampedForOverflow) vs \(zero)/\(truncated)/\(clamped)")
    fuzzRequire(parse.map.count == min(entries.count, MemoryMap.capacity)
                && parse.map.droppedForCapacity == entries.count - parse.map.count, "parse kept \(parse.map.count) of \(entries.count)")
    for index in 0 ..< parse.map.count {
        let region = parse.map[index], entry = entries[index]
        fuzzRequire(region.range.start.raw == entry.start && region.range.end.raw == entry.end
                    && region.kind == MemoryRegionKind(multibootType: entry.type), "entry \(index) differs")
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
        for claim in given where claim.kind != .usable && claim.range.start < region.range.end && region.range.start < claim.range.end {
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
            case .usable?: fuzzRequire(found == nil || found == .usable, "usable byte \(point) became \(String(describing: found))")
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
    fuzzRequire(usable.count == fromRaw.count && (0 ..< usable.count).allSatisfy { usable[$0] == fromRaw[$0] },
                "usable ranges from the raw and the normalised map differ")
    for index in 0 ..< usable.count {
        let range = usable[index].physicalRange
        fuzzRequire(regions(normalised).contains { $0.kind == .usable && $0.range.start <= range.start && range.end <= $0.range.end },
                    "usable range \(range) not inside usable RAM")
        for reserved in 0 ..< reservations.count {
            let cut = reservations[reserved].range.touchedFrames
            fuzzRequire(cut.isEmpty || !(cut.start < usable[index].end && usable[index].start < cut.end), "usable range \(range) touches a reservation")
        }
    }
    let span = usable.span
    guard usable.count > 0, span.count <= 1 << 16 else { return }
    let byteCount = Int(FrameAllocator.metadataByteCount(managing: span))
    let storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 8)
    defer { storage.deallocate() }
    do throws(FrameAllocatorSetupError) {
        let frames = try FrameAllocator(span: span, storage: storage, storageByteCount: UInt64(byteCount),
                                        usable: usable, reservations: reservations)
        fuzzRequire(frames.checkInvariants() == nil, "frame allocator: \(String(describing: frames.checkInvariants()))")
        fuzzRequire(frames.statistics.freeFrames == usable.frameCount, "free frames \(frames.statistics.freeFrames) != \(usable.frameCount)")
    } catch {
        fuzzRequire(false, "frame allocator refused its own usable ranges: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultiboot(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let first = input.first else { return 0 }
    let reservationCount = min(Int(first) % 9, (input.count - 1) / 16)
    let reservationBytes = UnsafeRawBufferPointer(rebasing: input[1 ..< 1 + 16 * reservationCount])
    let mapBytes = UnsafeRawBufferPointer(rebasing: input[(1 + 16 * reservationCount)...])
    let parse = checkParse(mapBytes)
    let normalised = checkNormalised(parse.map)
    checkUsable(raw: parse.map, normalised: normalised, reservations: readReservations(reservationBytes, count: reservationCount))
    return 0
}

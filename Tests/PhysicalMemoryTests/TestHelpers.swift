// Shared builders for the PhysicalMemory tests: multiboot byte images, maps, and a fixture that
// owns a frame allocator's storage.
@testable import PhysicalMemory
import MemoryCore
import Testing

/// One multiboot1 memory-map entry as raw fields (size defaults to the standard 20).
struct RawEntry {
    var size: UInt32 = 20
    var base: UInt64
    var length: UInt64
    var type: UInt32
    /// Extra payload bytes after the type field (counted in `size` when size is left default).
    var padding = 0
}

/// Little-endian bytes of `entries`, exactly as a boot loader lays them out.
func multibootBytes(_ entries: [RawEntry]) -> [UInt8] {
    var bytes: [UInt8] = []
    for entry in entries {
        let size = entry.size == 20 && entry.padding > 0 ? UInt32(20 + entry.padding) : entry.size
        appendLittleEndian(&bytes, UInt64(size), byteCount: 4)
        appendLittleEndian(&bytes, entry.base, byteCount: 8)
        appendLittleEndian(&bytes, entry.length, byteCount: 8)
        appendLittleEndian(&bytes, UInt64(entry.type), byteCount: 4)
        bytes += [UInt8](repeating: 0xEE, count: entry.padding)
    }
    return bytes
}

func appendLittleEndian(_ bytes: inout [UInt8], _ value: UInt64, byteCount: Int) {
    for shift in 0 ..< byteCount { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
}

func parse(_ bytes: [UInt8]) -> MemoryMapParse {
    bytes.withUnsafeBytes { MemoryMap.parseMultiboot($0) }
}

func usableEntry(_ start: UInt64, _ end: UInt64) -> RawEntry { RawEntry(base: start, length: end - start, type: 1) }
func reservedEntry(_ start: UInt64, _ end: UInt64) -> RawEntry { RawEntry(base: start, length: end - start, type: 2) }

/// What QEMU's pc machine reports for `-m 6G` (the layout cited in the task).
let qemu6GiBEntries: [RawEntry] = [
    usableEntry(0, 0x9fc00), reservedEntry(0x9fc00, 0xa0000), reservedEntry(0xf0000, 0x100000),
    usableEntry(0x100000, 0xc000_0000), reservedEntry(0xfeff_c000, 0xff00_0000),
    reservedEntry(0xfffc_0000, 0x1_0000_0000), usableEntry(0x1_0000_0000, 0x1_c000_0000),
    reservedEntry(0xfd_0000_0000, 0x100_0000_0000),
]

/// QEMU pc with small `-m` values: RAM below the PCI hole, the top 8 KiB reserved.
func qemuSmallEntries(megabytes: UInt64) -> [RawEntry] {
    let top = megabytes * MiB
    return [
        usableEntry(0, 0x9fc00), reservedEntry(0x9fc00, 0xa0000), reservedEntry(0xf0000, 0x100000),
        usableEntry(0x100000, top - 0x2000), reservedEntry(top - 0x2000, top),
        reservedEntry(0xfeff_c000, 0xff00_0000), reservedEntry(0xfffc_0000, 0x1_0000_0000),
    ]
}

func map(_ regions: [MemoryRegion]) -> MemoryMap {
    var result = MemoryMap()
    for region in regions { result.append(region) }
    return result
}

func regions(of map: MemoryMap) -> [MemoryRegion] { (0 ..< map.count).map { map[$0] } }

func frames(_ start: UInt64, _ end: UInt64) -> FrameRange { FrameRange(FrameNumber(start), FrameNumber(end)) }

func bytes(_ start: UInt64, _ end: UInt64) -> PhysicalRange {
    PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(end))
}

func usableRanges(_ list: [FrameRange]) -> UsableFrameRanges {
    var result = UsableFrameRanges()
    for range in list {
        let appended = result.append(range)
        #expect(appended)
    }
    return result
}

func reservationList(_ list: [(PhysicalRange, ReservationReason)]) -> ReservationList {
    var result = ReservationList()
    for (range, reason) in list { try! result.add(range, reason: reason) }
    return result
}

/// Owns storage for a FrameAllocator for the fixture's lifetime. Always reach the allocator
/// through `fixture.allocator` so the fixture (and its storage) stays alive while it is used.
final class AllocatorFixture {
    let storage: UnsafeMutableRawPointer
    let byteCount: Int
    let allocator: FrameAllocator

    init(
        span: FrameRange, usable: UsableFrameRanges, reservations: ReservationList = ReservationList(), recentFrames: Int = 0
    ) throws {
        byteCount = Int(FrameAllocator.metadataByteCount(managing: span))
        storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: byteCount)
        do {
            allocator = try FrameAllocator(
                span: span, storage: storage, storageByteCount: UInt64(byteCount),
                usable: usable, reservations: reservations, recentFrames: recentFrames)
        } catch {
            storage.deallocate()
            throw error
        }
    }

    /// Usable ranges given directly; span = first start ..< last end.
    convenience init(usable list: [FrameRange], reserved: [(PhysicalRange, ReservationReason)] = [], recentFrames: Int = 0) throws
    {
        let usable = usableRanges(list)
        try self.init(span: usable.span, usable: usable, reservations: reservationList(reserved), recentFrames: recentFrames)
    }

    deinit { storage.deallocate() }

    /// Every state byte of the metadata, to prove that an error changed nothing (the run-length
    /// cache after them may be tightened by a failed search: FrameAllocator.stateBytes).
    func snapshot() -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: storage, count: Int(allocator.stateBytes)))
    }
}

/// Runs `body` and returns the FrameAllocatorError it threw, or nil.
/// (Closures do not infer typed throws, so this takes any error and insists on the typed one.)
func frameError(_ body: () throws -> Void) -> FrameAllocatorError? {
    do {
        try body()
        return nil
    } catch let error as FrameAllocatorError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)")
        return nil
    }
}

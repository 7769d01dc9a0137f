// Decoding the multiboot1 memory map (info flag bit 6) into a MemoryMap, entry for entry.
//
// Wire format, repeated until the buffer ends:
//   offset 0: size  u32  bytes in this entry NOT counting the size field itself (20 for v1)
//   offset 4: base  u64
//   offset 12: len  u64
//   offset 20: type u32
// The next entry starts at offset + size + 4, so a loader may append fields we skip.
import MemoryCore

/// The result of decoding a multiboot memory map: the entries exactly as given (in order, for the
/// boot log), and a count for every entry that was not kept and why.
public struct MemoryMapParse: Sendable {
    /// Entries in firmware order; overlaps, gaps and misalignment untouched. Entries beyond
    /// `MemoryMap.capacity` are counted in `map.droppedForCapacity`.
    public var map = MemoryMap()
    /// Entries with len == 0 (skipped: they describe nothing).
    public var droppedZeroLength = 0
    /// Entries that cannot be decoded: `size` < 20, or the entry runs past the buffer's end, or
    /// 1-3 trailing bytes too short for a size field. Parsing stops at the first entry that runs
    /// past the end (the rest of the buffer cannot be framed); a short `size` is skipped and
    /// parsing continues at offset + size + 4.
    public var droppedTruncated = 0
    /// Entries whose base + len passes 2^64: CLAMPED to end at 2^64 - 1 (the last byte of the
    /// address space; no machine has physical memory there) and kept, so a firmware claim is
    /// never lost. The clamped end is not frame-aligned, so a usable one loses its last frame.
    public var clampedForOverflow = 0

    public init() {}
}

/// Bytes in a version-1 entry after the size field: base (8) + len (8) + type (4).
let multibootEntryPayloadBytes = 20

extension MemoryMap {
    /// Decodes the multiboot1 memory map held in `bytes` (same as `MemoryMapParse.parseMultiboot`).
    public static func parseMultiboot(_ bytes: UnsafeRawBufferPointer) -> MemoryMapParse {
        MemoryMapParse.parseMultiboot(bytes)
    }
}

extension MemoryMapParse {
    /// Decodes the multiboot1 memory map held in `bytes` (mmap_addr, mmap_length).
    public static func parseMultiboot(_ bytes: UnsafeRawBufferPointer) -> MemoryMapParse {
        var parse = MemoryMapParse()
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else {
                parse.droppedTruncated += 1
                break
            }
            let size = Int(loadLittleEndianUInt32(bytes, at: offset))
            let next = offset + 4 + size
            if next > bytes.count {
                parse.droppedTruncated += 1
                break
            }
            if size < multibootEntryPayloadBytes {
                parse.droppedTruncated += 1
            } else {
                parse.record(entryAt: offset + 4, in: bytes)
            }
            offset = next
        }
        return parse
    }

    /// Decodes the base/len/type fields starting at `payload`. Contract: payload + 20 <= count.
    mutating func record(entryAt payload: Int, in bytes: UnsafeRawBufferPointer) {
        let base = loadLittleEndianUInt64(bytes, at: payload)
        let length = loadLittleEndianUInt64(bytes, at: payload + 8)
        let type = loadLittleEndianUInt32(bytes, at: payload + 16)
        if length == 0 {
            droppedZeroLength += 1
            return
        }
        let (end, overflow) = base.addingReportingOverflow(length)
        if overflow { clampedForOverflow += 1 }
        let range = PhysicalRange(start: PhysicalAddress(base), end: PhysicalAddress(overflow ? UInt64.max : end))
        map.append(MemoryRegion(range: range, kind: MemoryRegionKind(multibootType: type)))
    }
}

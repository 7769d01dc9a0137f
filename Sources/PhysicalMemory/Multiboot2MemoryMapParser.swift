// Decoding the multiboot2 memory-map tag (type 6, Multiboot2 Specification 3.6.8) into a
// MemoryMap, entry for entry. Same entries, same types and same normalisation as multiboot1:
// only the framing differs.
//
// Wire format, the tag from its first byte:
//   offset 0:  type          u32  6
//   offset 4:  size          u32  bytes in the whole tag, this header included
//   offset 8:  entry_size    u32  bytes per entry (24 today; a multiple of 8; later versions may
//                                 append fields, which we step over)
//   offset 12: entry_version u32  0
//   offset 16: entries, each: base u64, length u64, type u32 (as multiboot1), reserved u32
import MemoryCore

extension MemoryMapParse {
    /// Bytes of the tag header before the first entry.
    static let multiboot2HeaderBytes = 16
    /// The multiboot2 tag type of the memory map.
    public static let multiboot2MemoryMapTag: UInt32 = 6

    /// Decodes the multiboot2 memory-map tag held in `tag` (the whole tag, header included).
    /// A tag that cannot be framed (too short, wrong type, entry_size below the 20 bytes of
    /// base/length/type) counts one `droppedTruncated` and yields no entries. A `size` beyond the
    /// buffer is cut to the buffer; bytes after the last whole entry count one `droppedTruncated`.
    public static func parseMultiboot2(_ tag: UnsafeRawBufferPointer) -> MemoryMapParse {
        var parse = MemoryMapParse()
        guard tag.count >= multiboot2HeaderBytes,
            loadLittleEndianUInt32(tag, at: 0) == multiboot2MemoryMapTag
        else {
            parse.droppedTruncated += 1
            return parse
        }
        let size = min(Int(loadLittleEndianUInt32(tag, at: 4)), tag.count)
        let entrySize = Int(loadLittleEndianUInt32(tag, at: 8))
        guard entrySize >= multibootEntryPayloadBytes, size >= multiboot2HeaderBytes else {
            parse.droppedTruncated += 1
            return parse
        }
        var offset = multiboot2HeaderBytes
        while offset + entrySize <= size {
            parse.record(entryAt: offset, in: tag)
            offset += entrySize
        }
        if offset < size { parse.droppedTruncated += 1 }
        return parse
    }
}

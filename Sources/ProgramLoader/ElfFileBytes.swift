// Every raw-pointer read of the ProgramLoader module lives in this file.
//
// The file is untrusted bytes handed over by the kernel (a multiboot module). Each read below is
// bounds-checked against the buffer; the callers check ranges first (with overflow-safe sums) so
// that a hostile file gets a named rejection, and the preconditions here are only a second wall.

/// A read-only view of an ELF file's bytes with little-endian, bounds-checked loads.
struct ElfFileBytes {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var byteCount: UInt64 { UInt64(bytes.count) }

    /// True when [offset, offset + length) lies inside the file. Overflow-safe: a sum that passes
    /// 2^64 is "outside", never a wrapped small number.
    func contains(offset: UInt64, length: UInt64) -> Bool {
        Self.range(offset: offset, length: length, fitsIn: byteCount)
    }

    /// True when [offset, offset + length) lies inside a file of `byteCount` bytes; overflow-safe.
    static func range(offset: UInt64, length: UInt64, fitsIn byteCount: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= byteCount
    }

    /// The byte at `offset`. Contract: offset < byteCount.
    func byte(at offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < bytes.count, "ELF read past the file")
        return bytes[offset]
    }

    /// The little-endian u16 at `offset`. Contract: offset + 2 <= byteCount.
    func uint16(at offset: UInt64) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: checkedOffset(offset, width: 2), as: UInt16.self))
    }

    /// The little-endian u32 at `offset`. Contract: offset + 4 <= byteCount.
    func uint32(at offset: UInt64) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: checkedOffset(offset, width: 4), as: UInt32.self))
    }

    /// The little-endian u64 at `offset`. Contract: offset + 8 <= byteCount.
    func uint64(at offset: UInt64) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: checkedOffset(offset, width: 8), as: UInt64.self))
    }

    /// `offset` as an Int after checking that `width` bytes from it lie inside the file.
    private func checkedOffset(_ offset: UInt64, width: UInt64) -> Int {
        precondition(contains(offset: offset, length: width), "ELF read past the file")
        return Int(offset)  // offset < byteCount <= Int.max
    }
}

extension LoadSegment {
    /// The bytes to copy for this segment: file[fileOffset ..< fileOffset + fileByteCount], to be
    /// written at `virtualAddress`.
    /// Contract: `file` is the buffer the plan was made from (same base and length), so the range
    /// is inside it (the plan invariant fileOffset + fileByteCount <= fileByteCount guarantees it;
    /// a different, shorter buffer traps here instead of reading past its end).
    public func fileBytes(in file: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        precondition(
            ElfFileBytes(file).contains(offset: fileOffset, length: fileByteCount),
            "segment bytes outside the buffer given")
        let start = Int(fileOffset)
        return UnsafeRawBufferPointer(rebasing: file[start ..< start + Int(fileByteCount)])
    }
}

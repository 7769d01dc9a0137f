// Decoding one 56-byte program header. Decoding never fails (the table was checked to lie inside
// the file); what the fields mean is judged by ProgramHeaderAdmission and SegmentValidation.

/// The fields of one Elf64_Phdr the loader reads, exactly as stored.
struct ProgramHeader {
    var type: UInt32
    var flags: UInt32
    var fileOffset: UInt64
    var virtualAddress: UInt64
    var fileSize: UInt64
    var memorySize: UInt64
    var alignment: UInt64

    /// The program header at `offset`. Contract: [offset, offset + 56) lies inside the file.
    static func decode(_ file: ElfFileBytes, at offset: UInt64) -> ProgramHeader {
        ProgramHeader(
            type: file.uint32(at: offset + ProgramHeaderLayout.typeOffset),
            flags: file.uint32(at: offset + ProgramHeaderLayout.flagsOffset),
            fileOffset: file.uint64(at: offset + ProgramHeaderLayout.fileOffsetOffset),
            virtualAddress: file.uint64(at: offset + ProgramHeaderLayout.virtualAddressOffset),
            fileSize: file.uint64(at: offset + ProgramHeaderLayout.fileSizeOffset),
            memorySize: file.uint64(at: offset + ProgramHeaderLayout.memorySizeOffset),
            alignment: file.uint64(at: offset + ProgramHeaderLayout.alignmentOffset))
    }
}

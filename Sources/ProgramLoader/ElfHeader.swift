// Decoding and validating the 64-byte ELF64 file header. Checks run in the order of ElfError's
// file-header cases; no multi-byte field is read before the class and byte order are known.

import MemoryCore

/// The file header fields a loader needs, after validation.
struct ElfHeader {
    /// e_entry: the first instruction the program runs.
    var entry: VirtualAddress
    /// e_phoff: where the program header table starts in the file.
    var programHeaderOffset: UInt64
    /// e_phnum: entries in the table (each `ProgramHeaderLayout.size` bytes, all inside the file).
    var programHeaderCount: Int

    /// The file offset of program header `index`. Contract: 0 <= index < programHeaderCount
    /// (then the sum cannot overflow: it was checked to lie inside the file).
    func programHeaderFileOffset(_ index: Int) -> UInt64 {
        programHeaderOffset + UInt64(index) * ProgramHeaderLayout.size
    }

    /// The validated header of `file`, or the first reason it is not a loadable x86-64 ELF64 file.
    static func decode(_ file: ElfFileBytes) throws(ElfError) -> ElfHeader {
        guard file.byteCount >= ElfHeaderLayout.size else { throw .fileTooSmall }
        try checkIdentification(file)
        try checkFileType(file.uint16(at: ElfHeaderLayout.typeOffset))
        guard file.uint16(at: ElfHeaderLayout.machineOffset) == machineX86_64 else { throw .notX86_64 }
        guard file.uint32(at: ElfHeaderLayout.versionOffset) == UInt32(ElfIdentification.currentVersion) else {
            throw .badVersion
        }
        guard file.uint16(at: ElfHeaderLayout.headerSizeOffset) == UInt16(ElfHeaderLayout.size) else {
            throw .badHeaderSize
        }
        guard file.uint16(at: ElfHeaderLayout.programHeaderEntrySizeOffset) == UInt16(ProgramHeaderLayout.size) else {
            throw .badProgramHeaderSize
        }
        return try decodeTable(file)
    }

    /// e_ident: magic, class, byte order, version, OS ABI. Contract: the file has >= 64 bytes.
    private static func checkIdentification(_ file: ElfFileBytes) throws(ElfError) {
        let magic = ElfIdentification.magic
        guard file.byte(at: 0) == magic.0, file.byte(at: 1) == magic.1,
            file.byte(at: 2) == magic.2, file.byte(at: 3) == magic.3
        else { throw .badMagic }
        guard file.byte(at: ElfIdentification.classOffset) == ElfIdentification.class64 else { throw .notSixtyFourBit }
        guard file.byte(at: ElfIdentification.dataOffset) == ElfIdentification.littleEndian else { throw .notLittleEndian }
        guard file.byte(at: ElfIdentification.versionOffset) == ElfIdentification.currentVersion else { throw .badVersion }
        let osABI = file.byte(at: ElfIdentification.osABIOffset)
        guard osABI == ElfIdentification.osABISystemV || osABI == ElfIdentification.osABIGNU else {
            throw .unsupportedOSABI
        }
    }

    /// e_type: only ET_EXEC is accepted; the other standard types get their own names.
    private static func checkFileType(_ type: UInt16) throws(ElfError) {
        switch type {
        case ElfFileType.executable: return
        case ElfFileType.relocatable: throw .relocatableObject
        case ElfFileType.shared: throw .positionIndependent
        case ElfFileType.core: throw .coreDump
        default: throw .unknownFileType
        }
    }

    /// e_entry, e_phoff, e_phnum, with the table checked to lie inside the file.
    private static func decodeTable(_ file: ElfFileBytes) throws(ElfError) -> ElfHeader {
        let count = file.uint16(at: ElfHeaderLayout.programHeaderCountOffset)
        guard count != extendedProgramHeaderCount else { throw .extendedProgramHeaderCount }
        let offset = file.uint64(at: ElfHeaderLayout.programHeaderOffsetOffset)
        // count * 56 <= 65534 * 56: no overflow; the sum with the offset is checked by `contains`.
        guard file.contains(offset: offset, length: UInt64(count) * ProgramHeaderLayout.size) else {
            throw .programHeadersOutsideFile
        }
        return ElfHeader(
            entry: VirtualAddress(file.uint64(at: ElfHeaderLayout.entryOffset)),
            programHeaderOffset: offset, programHeaderCount: Int(count))
    }
}

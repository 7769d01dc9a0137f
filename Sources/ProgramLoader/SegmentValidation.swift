// Validating one PT_LOAD program header on its own and turning it into a LoadSegment.
//
// Checks, in this order (each failure is the ElfError case of the same name):
//   empty (memsz == filesz == 0)           -> skipped, not an error
//   flags ⊆ R|W|X                          unknownSegmentFlags
//   R ∈ flags                              segmentNotReadable
//   not (W and X)                          writableAndExecutable
//   filesz <= memsz                        fileSizeExceedsMemorySize
//   offset + filesz <= file length         segmentOutsideFile          (no wrap)
//   align ∈ {0, 1} or a power of two       badSegmentAlignment
//   vaddr ≡ offset mod max(align, 4 KiB)   segmentOffsetNotCongruent
//   vaddr + memsz <= 2^64                  segmentWrapsAround
//   [vaddr, vaddr + memsz) ⊆ user range    segmentOutsideUserSpace
// Congruence modulo 4 KiB is what page mapping needs (the byte at p_offset lands at the same
// offset in its page); modulo p_align is what the gABI promises. A file violating either was not
// made by a linker for this ABI.

import MemoryCore

extension ProgramHeader {
    /// The segment this PT_LOAD header describes, nil when it is empty (memsz == filesz == 0),
    /// or the first reason it cannot be loaded into `userRange`.
    func loadSegment(index: Int, file: ElfFileBytes, userRange: VirtualPageRange) throws(ElfError) -> LoadSegment? {
        if memorySize == 0 && fileSize == 0 { return nil }
        let permissions = try checkedPermissions(index: index)
        try checkFileRange(index: index, file: file)
        try checkAlignment(index: index)
        let pages = try placedPages(index: index, userRange: userRange)
        return LoadSegment(
            programHeaderIndex: index, virtualAddress: VirtualAddress(virtualAddress),
            memoryByteCount: memorySize, fileOffset: fileOffset, fileByteCount: fileSize,
            permissions: permissions, pages: pages)
    }

    /// p_flags as permissions: only R/W/X bits, R present, not W and X together.
    private func checkedPermissions(index: Int) throws(ElfError) -> SegmentPermissions {
        let permissions = SegmentPermissions(rawValue: flags)
        guard SegmentPermissions.defined.isSuperset(of: permissions) else { throw .unknownSegmentFlags(programHeader: index) }
        guard permissions.contains(.readable) else { throw .segmentNotReadable(programHeader: index) }
        guard !permissions.contains([.writable, .executable]) else { throw .writableAndExecutable(programHeader: index) }
        return permissions
    }

    /// filesz <= memsz, and the bytes to copy inside the file.
    private func checkFileRange(index: Int, file: ElfFileBytes) throws(ElfError) {
        guard fileSize <= memorySize else { throw .fileSizeExceedsMemorySize(programHeader: index) }
        guard file.contains(offset: fileOffset, length: fileSize) else { throw .segmentOutsideFile(programHeader: index) }
    }

    /// p_align valid, and vaddr ≡ offset modulo max(p_align, page).
    private func checkAlignment(index: Int) throws(ElfError) {
        guard alignment <= 1 || isPowerOfTwo(alignment) else { throw .badSegmentAlignment(programHeader: index) }
        let mask = max(alignment, frameSize) - 1
        guard virtualAddress & mask == fileOffset & mask else { throw .segmentOffsetNotCongruent(programHeader: index) }
    }

    /// The pages of [vaddr, vaddr + memsz), which must lie in `userRange`. Because userRange is
    /// page-aligned, bytes inside it imply page-rounded ends inside it.
    private func placedPages(index: Int, userRange: VirtualPageRange) throws(ElfError) -> VirtualPageRange {
        let (end, overflow) = virtualAddress.addingReportingOverflow(memorySize)
        guard !overflow else { throw .segmentWrapsAround(programHeader: index) }
        guard virtualAddress >= userRange.start.raw && end <= userRange.end.raw else {
            throw .segmentOutsideUserSpace(programHeader: index)
        }
        // end <= userRange.end (page-aligned), so rounding up cannot overflow.
        return VirtualPageRange.covering(VirtualAddress(virtualAddress), byteCount: memorySize)!
    }
}

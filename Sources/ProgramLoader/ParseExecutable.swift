// The loader's entry point: decode -> validate -> plan, each rejection with its reason.

import MemoryCore

/// Validates `file` (the bytes of an ELF64 file) as a static x86-64 executable that fits in
/// `userRange` and returns the plan to load it, or the first reason it cannot be loaded (see
/// ElfError for the checks in order). Reads only inside `file`; never allocates; pure.
/// Precondition-free: every byte pattern gets a plan or an error, never a trap.
public func parseExecutable(
    _ file: UnsafeRawBufferPointer, userRange: VirtualPageRange = .userSpace
) throws(ElfError) -> LoadPlan {
    let bytes = ElfFileBytes(file)
    let header = try ElfHeader.decode(bytes)
    var plan = LoadPlan(entry: header.entry, fileByteCount: bytes.byteCount, userRange: userRange)
    for index in 0 ..< header.programHeaderCount {
        let programHeader = ProgramHeader.decode(bytes, at: header.programHeaderFileOffset(index))
        try plan.admit(programHeader, index: index, file: bytes)
    }
    try plan.checkComplete()
    return plan
}

extension LoadPlan {
    /// Acts on one program header by type: PT_LOAD is validated and added, PT_INTERP and
    /// PT_DYNAMIC are rejected (static executables only), PT_GNU_STACK must not be executable,
    /// every other type (PT_NOTE, PT_PHDR, PT_TLS, PT_GNU_RELRO, ...) is ignored.
    mutating func admit(_ header: ProgramHeader, index: Int, file: ElfFileBytes) throws(ElfError) {
        switch header.type {
        case ProgramHeaderType.load:
            if let segment = try header.loadSegment(index: index, file: file, userRange: userRange) {
                try add(segment)
            } else {
                countSkippedEmptySegment()
            }
        case ProgramHeaderType.interpreter:
            throw .needsInterpreter(programHeader: index)
        case ProgramHeaderType.dynamic:
            throw .dynamicSection(programHeader: index)
        case ProgramHeaderType.gnuStack:
            guard !SegmentPermissions(rawValue: header.flags).contains(.executable) else {
                throw .executableStack(programHeader: index)
            }
        default:
            return
        }
    }
}

// Why a program was refused. One case per reason, in the order the checks run, so each hostile
// file gets exactly one stable answer. Cases about one program header carry its index in the
// table, so the log can say which one (`error=segment-outside-file phdr=3`).

/// The first reason an ELF file cannot be loaded. Nothing is planned when any is thrown.
public enum ElfError: Error, Equatable, Sendable {
    // MARK: File header, checked in this order

    /// The file is shorter than the 64-byte ELF64 header.
    case fileTooSmall
    /// The first four bytes are not 0x7F 'E' 'L' 'F'.
    case badMagic
    /// e_ident[EI_CLASS] is not ELFCLASS64.
    case notSixtyFourBit
    /// e_ident[EI_DATA] is not ELFDATA2LSB.
    case notLittleEndian
    /// e_ident[EI_VERSION] or e_version is not EV_CURRENT (1).
    case badVersion
    /// e_ident[EI_OSABI] is neither System V (0) nor GNU/Linux (3).
    case unsupportedOSABI
    /// e_type is ET_REL: an object file that still needs linking.
    case relocatableObject
    /// e_type is ET_DYN: a position-independent executable or shared object (needs relocation).
    case positionIndependent
    /// e_type is ET_CORE: a core dump.
    case coreDump
    /// e_type is none of the above and not ET_EXEC.
    case unknownFileType
    /// e_machine is not EM_X86_64 (62).
    case notX86_64
    /// e_ehsize is not 64.
    case badHeaderSize
    /// e_phentsize is not 56.
    case badProgramHeaderSize
    /// e_phnum is PN_XNUM (0xFFFF): the real count would be in section header 0 (not supported).
    case extendedProgramHeaderCount
    /// e_phoff + e_phnum * 56 passes the end of the file (or 2^64).
    case programHeadersOutsideFile

    // MARK: Program headers, in table order; each check of SegmentValidation in its order

    /// PT_INTERP: the program asks for a dynamic linker (static executables only).
    case needsInterpreter(programHeader: Int)
    /// PT_DYNAMIC: the program has dynamic linking information (static executables only).
    case dynamicSection(programHeader: Int)
    /// PT_GNU_STACK with PF_X: the program asks for an executable stack (W^X).
    case executableStack(programHeader: Int)
    /// p_flags has bits other than PF_R, PF_W, PF_X.
    case unknownSegmentFlags(programHeader: Int)
    /// p_flags lacks PF_R (x86 paging cannot map write- or execute-only pages).
    case segmentNotReadable(programHeader: Int)
    /// p_flags has both PF_W and PF_X (W^X policy).
    case writableAndExecutable(programHeader: Int)
    /// p_filesz > p_memsz.
    case fileSizeExceedsMemorySize(programHeader: Int)
    /// p_offset + p_filesz passes the end of the file (or 2^64).
    case segmentOutsideFile(programHeader: Int)
    /// p_align is neither 0, 1 nor a power of two.
    case badSegmentAlignment(programHeader: Int)
    /// p_vaddr ≢ p_offset modulo max(p_align, 4 KiB).
    case segmentOffsetNotCongruent(programHeader: Int)
    /// p_vaddr + p_memsz passes 2^64.
    case segmentWrapsAround(programHeader: Int)
    /// Some byte of [p_vaddr, p_vaddr + p_memsz) lies outside the user range the loader was given
    /// (the kernel gives user space below the stack and its guard gap).
    case segmentOutsideUserSpace(programHeader: Int)
    /// More than `LoadPlan.segmentCapacity` segments.
    case tooManyLoadSegments(programHeader: Int)
    /// The segment shares a page with an earlier one.
    case overlappingSegments(programHeader: Int)

    // MARK: The whole image

    /// No PT_LOAD with memsz > 0.
    case noLoadSegments
    /// e_entry lies in no segment's [p_vaddr, p_vaddr + p_memsz).
    case entryOutsideSegments
    /// e_entry lies in a segment without PF_X.
    case entryNotExecutable
}

extension ElfError {
    /// The reason as it appears in the serial log (`error=bad-magic`).
    public var name: StaticString {
        switch self {
        case .fileTooSmall: "file-too-small"
        case .badMagic: "bad-magic"
        case .notSixtyFourBit: "not-64-bit"
        case .notLittleEndian: "not-little-endian"
        case .badVersion: "bad-elf-version"
        case .unsupportedOSABI: "unsupported-os-abi"
        case .relocatableObject: "relocatable-object"
        case .positionIndependent: "position-independent"
        case .coreDump: "core-dump"
        case .unknownFileType: "unknown-file-type"
        case .notX86_64: "not-x86-64"
        case .badHeaderSize: "bad-header-size"
        case .badProgramHeaderSize: "bad-program-header-size"
        case .extendedProgramHeaderCount: "extended-program-header-count"
        case .programHeadersOutsideFile: "program-headers-outside-file"
        case .needsInterpreter: "needs-interpreter"
        case .dynamicSection: "dynamic-section"
        case .executableStack: "executable-stack"
        case .unknownSegmentFlags: "unknown-segment-flags"
        case .segmentNotReadable: "segment-not-readable"
        case .writableAndExecutable: "writable-and-executable"
        case .fileSizeExceedsMemorySize: "file-size-exceeds-memory-size"
        case .segmentOutsideFile: "segment-outside-file"
        case .badSegmentAlignment: "bad-segment-alignment"
        case .segmentOffsetNotCongruent: "segment-offset-not-congruent"
        case .segmentWrapsAround: "segment-wraps-around"
        case .segmentOutsideUserSpace: "segment-outside-user-space"
        case .tooManyLoadSegments: "too-many-load-segments"
        case .overlappingSegments: "overlapping-segments"
        case .noLoadSegments: "no-load-segments"
        case .entryOutsideSegments: "entry-outside-segments"
        case .entryNotExecutable: "entry-not-executable"
        }
    }

    /// The index of the program header the rejection is about, if it is about one.
    public var programHeaderIndex: Int? {
        switch self {
        case .needsInterpreter(let index), .dynamicSection(let index), .executableStack(let index),
            .unknownSegmentFlags(let index), .segmentNotReadable(let index),
            .writableAndExecutable(let index), .fileSizeExceedsMemorySize(let index),
            .segmentOutsideFile(let index), .badSegmentAlignment(let index),
            .segmentOffsetNotCongruent(let index), .segmentWrapsAround(let index),
            .segmentOutsideUserSpace(let index), .tooManyLoadSegments(let index),
            .overlappingSegments(let index):
            index
        default:
            nil
        }
    }
}

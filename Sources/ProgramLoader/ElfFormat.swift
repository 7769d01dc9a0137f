// The ELF64 wire format as far as a loader reads it (System V gABI, x86-64 psABI): field offsets
// and the values this module accepts or names. All multi-byte fields are little-endian here
// (ELFDATA2LSB is checked before any of them is read).

/// Bytes of e_ident and the values checked in it.
enum ElfIdentification {
    /// 0x7F 'E' 'L' 'F' at offsets 0..3.
    static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x7F, 0x45, 0x4C, 0x46)
    static let classOffset = 4
    static let dataOffset = 5
    static let versionOffset = 6
    static let osABIOffset = 7
    /// ELFCLASS64.
    static let class64: UInt8 = 2
    /// ELFDATA2LSB.
    static let littleEndian: UInt8 = 1
    /// EV_CURRENT, in e_ident[EI_VERSION] and in e_version.
    static let currentVersion: UInt8 = 1
    /// ELFOSABI_NONE (System V).
    static let osABISystemV: UInt8 = 0
    /// ELFOSABI_GNU (Linux).
    static let osABIGNU: UInt8 = 3
}

/// Offsets of the ELF64 file header fields after e_ident.
enum ElfHeaderLayout {
    /// sizeof(Elf64_Ehdr).
    static let size: UInt64 = 64
    static let typeOffset: UInt64 = 16  // e_type      u16
    static let machineOffset: UInt64 = 18  // e_machine   u16
    static let versionOffset: UInt64 = 20  // e_version   u32
    static let entryOffset: UInt64 = 24  // e_entry     u64
    static let programHeaderOffsetOffset: UInt64 = 32  // e_phoff u64
    static let headerSizeOffset: UInt64 = 52  // e_ehsize    u16
    static let programHeaderEntrySizeOffset: UInt64 = 54  // e_phentsize u16
    static let programHeaderCountOffset: UInt64 = 56  // e_phnum     u16
}

/// e_type values.
enum ElfFileType {
    static let relocatable: UInt16 = 1  // ET_REL
    static let executable: UInt16 = 2  // ET_EXEC
    static let shared: UInt16 = 3  // ET_DYN (shared object or position-independent executable)
    static let core: UInt16 = 4  // ET_CORE
}

/// EM_X86_64.
let machineX86_64: UInt16 = 62

/// PN_XNUM: e_phnum's escape value meaning "the real count is in section header 0".
let extendedProgramHeaderCount: UInt16 = 0xFFFF

/// Offsets of the ELF64 program header fields (Elf64_Phdr). p_paddr (24) is not read.
enum ProgramHeaderLayout {
    /// sizeof(Elf64_Phdr); e_phentsize must equal it.
    static let size: UInt64 = 56
    static let typeOffset: UInt64 = 0  // p_type   u32
    static let flagsOffset: UInt64 = 4  // p_flags  u32
    static let fileOffsetOffset: UInt64 = 8  // p_offset u64
    static let virtualAddressOffset: UInt64 = 16  // p_vaddr u64
    static let fileSizeOffset: UInt64 = 32  // p_filesz u64
    static let memorySizeOffset: UInt64 = 40  // p_memsz  u64
    static let alignmentOffset: UInt64 = 48  // p_align  u64
}

/// p_type values the loader acts on; every other value is ignored.
enum ProgramHeaderType {
    static let load: UInt32 = 1  // PT_LOAD
    static let dynamic: UInt32 = 2  // PT_DYNAMIC
    static let interpreter: UInt32 = 3  // PT_INTERP
    static let gnuStack: UInt32 = 0x6474_E551  // PT_GNU_STACK
}

import MemoryCore
import PageTables
@testable import ProgramLoader

// A small ELF64 writer for tests: a header, a program header table at offset 64, and filler bytes
// (a recognisable pattern) up to `fileSize`. Every field is plain data, so a test mutates exactly
// the field it is about.

/// One Elf64_Phdr as written.
struct TestProgramHeader: Equatable {
    var type: UInt32 = 1
    var flags: UInt32 = 4
    var offset: UInt64 = 0
    var vaddr: UInt64 = 0
    var paddr: UInt64 = 0
    var filesz: UInt64 = 0
    var memsz: UInt64 = 0
    var align: UInt64 = 0x1000

    static let load: UInt32 = 1, dynamic: UInt32 = 2, interp: UInt32 = 3, note: UInt32 = 4
    static let phdr: UInt32 = 6, tls: UInt32 = 7, gnuStack: UInt32 = 0x6474_E551, gnuRelro: UInt32 = 0x6474_E552
    static let r: UInt32 = 4, w: UInt32 = 2, x: UInt32 = 1

    static func loadSegment(
        flags: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64,
        align: UInt64 = 0x1000
    ) -> TestProgramHeader {
        TestProgramHeader(
            type: load, flags: flags, offset: offset, vaddr: vaddr, paddr: vaddr,
            filesz: filesz, memsz: memsz, align: align)
    }
}

/// An ELF64 file described field by field.
struct TestElf {
    var magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
    var elfClass: UInt8 = 2
    var data: UInt8 = 1
    var identVersion: UInt8 = 1
    var osABI: UInt8 = 0
    var type: UInt16 = 2
    var machine: UInt16 = 62
    var version: UInt32 = 1
    var entry: UInt64 = 0
    var phoff: UInt64 = 64
    var ehsize: UInt16 = 64
    var phentsize: UInt16 = 56
    /// nil: the number of `programHeaders`.
    var phnum: UInt16? = nil
    var programHeaders: [TestProgramHeader] = []
    var fileSize: Int = 0x2000

    /// Where valid test programs are linked: 4 MiB into user space.
    static let base: UInt64 = UserSpace.start.raw + 0x40_0000

    /// One R+X segment of 0x234 bytes at base + 0x1000 (file offset 0x1000); entry at its start.
    static func minimal() -> TestElf {
        var elf = TestElf()
        elf.programHeaders = [
            .loadSegment(
                flags: TestProgramHeader.r | TestProgramHeader.x, offset: 0x1000,
                vaddr: base + 0x1000, filesz: 0x234, memsz: 0x234)
        ]
        elf.entry = base + 0x1000
        elf.fileSize = 0x1234
        return elf
    }

    /// text (R+X, 2 pages), rodata (R, 1 page), data + bss (R+W, unaligned start, 3 pages), and a
    /// non-executable PT_GNU_STACK; entry 0x20 bytes into text.
    static func threeSegments() -> TestElf {
        var elf = TestElf()
        let r = TestProgramHeader.r, w = TestProgramHeader.w, x = TestProgramHeader.x
        elf.programHeaders = [
            .loadSegment(flags: r | x, offset: 0x1000, vaddr: base + 0x1000, filesz: 0x1234, memsz: 0x1234),
            .loadSegment(flags: r, offset: 0x3000, vaddr: base + 0x3000, filesz: 0x800, memsz: 0x800),
            .loadSegment(flags: r | w, offset: 0x4010, vaddr: base + 0x5010, filesz: 0x100, memsz: 0x2100),
            TestProgramHeader(type: TestProgramHeader.gnuStack, flags: r | w, align: 16),
        ]
        elf.entry = base + 0x1020
        elf.fileSize = 0x4110
        return elf
    }

    /// The file's bytes.
    func bytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(fileSize, 0))
        for i in out.indices { out[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }  // filler pattern
        var w = ByteWriter(bytes: out)
        for (i, byte) in magic.enumerated() { w.put8(byte, at: i) }
        w.put8(elfClass, at: 4)
        w.put8(data, at: 5)
        w.put8(identVersion, at: 6)
        w.put8(osABI, at: 7)
        for i in 8 ..< 16 { w.put8(0, at: i) }
        w.put16(type, at: 16)
        w.put16(machine, at: 18)
        w.put32(version, at: 20)
        w.put64(entry, at: 24)
        w.put64(phoff, at: 32)
        w.put64(0, at: 40)
        w.put32(0, at: 48)
        w.put16(ehsize, at: 52)
        w.put16(phentsize, at: 54)
        w.put16(phnum ?? UInt16(programHeaders.count), at: 56)
        w.put16(64, at: 58)
        w.put16(0, at: 60)
        w.put16(0, at: 62)
        for (i, ph) in programHeaders.enumerated() {
            let at = Int(clamping: phoff) &+ i * 56
            w.put32(ph.type, at: at)
            w.put32(ph.flags, at: at &+ 4)
            w.put64(ph.offset, at: at &+ 8)
            w.put64(ph.vaddr, at: at &+ 16)
            w.put64(ph.paddr, at: at &+ 24)
            w.put64(ph.filesz, at: at &+ 32)
            w.put64(ph.memsz, at: at &+ 40)
            w.put64(ph.align, at: at &+ 48)
        }
        return w.bytes
    }
}

/// Little-endian writes into a byte array; writes past the end are dropped (so a test can
/// describe a table that does not fit in the file).
struct ByteWriter {
    var bytes: [UInt8]

    mutating func put8(_ value: UInt8, at offset: Int) {
        if offset >= 0 && offset < bytes.count { bytes[offset] = value }
    }
    mutating func put16(_ value: UInt16, at offset: Int) { putLE(UInt64(value), width: 2, at: offset) }
    mutating func put32(_ value: UInt32, at offset: Int) { putLE(UInt64(value), width: 4, at: offset) }
    mutating func put64(_ value: UInt64, at offset: Int) { putLE(value, width: 8, at: offset) }

    mutating func putLE(_ value: UInt64, width: Int, at offset: Int) {
        for i in 0 ..< width { put8(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))), at: offset &+ i) }
    }
}

/// Parses `bytes` (all of them, or the first `prefix`) into a plan or the error.
func parse(_ bytes: [UInt8], prefix: Int? = nil, userRange: VirtualPageRange = .userSpace) -> Result<LoadPlan, ElfError> {
    bytes.withUnsafeBytes { buffer in
        let file = UnsafeRawBufferPointer(rebasing: buffer[0 ..< (prefix ?? buffer.count)])
        do throws(ElfError) { return .success(try parseExecutable(file, userRange: userRange)) } catch { return .failure(error) }
    }
}

func parse(_ elf: TestElf, userRange: VirtualPageRange = .userSpace) -> Result<LoadPlan, ElfError> {
    parse(elf.bytes(), userRange: userRange)
}

/// The error a file is rejected with, or nil when it is accepted.
func rejection(_ elf: TestElf, userRange: VirtualPageRange = .userSpace) -> ElfError? {
    if case .failure(let error) = parse(elf, userRange: userRange) { return error }
    return nil
}

/// The plan for a file that must be accepted, or nil (the test then fails on the nil).
func acceptedPlan(_ elf: TestElf, userRange: VirtualPageRange = .userSpace) -> LoadPlan? {
    try? parse(elf, userRange: userRange).get()
}

import MemoryCore
import PageTables
import Testing
@testable import ProgramLoader

// One mutation of a valid file per file-header rejection, each with its named reason.
@Suite struct HeaderRejectionTests {
    func rejected(_ mutate: (inout TestElf) -> Void) -> ElfError? {
        var elf = TestElf.threeSegments()
        mutate(&elf)
        return rejection(elf)
    }

    @Test func fileShorterThanTheHeader() {
        let bytes = TestElf.threeSegments().bytes()
        for length in [0, 1, 4, 16, 63] {
            #expect(parse(bytes, prefix: length) == .failure(.fileTooSmall), "length \(length)")
        }
        // 64 bytes: a whole header, but the program header table is cut off.
        #expect(parse(bytes, prefix: 64) == .failure(.programHeadersOutsideFile))
    }

    @Test func badMagic() {
        for index in 0 ..< 4 {
            #expect(rejected { $0.magic[index] ^= 0x20 } == .badMagic, "byte \(index)")
        }
        #expect(rejected { $0.magic = [0x7F, 0x45, 0x4C, 0x46].reversed() } == .badMagic)
    }

    @Test func notSixtyFourBit() {
        for elfClass: UInt8 in [0, 1, 3, 0xFF] {
            #expect(rejected { $0.elfClass = elfClass } == .notSixtyFourBit)
        }
    }

    @Test func notLittleEndian() {
        for data: UInt8 in [0, 2, 3] {
            #expect(rejected { $0.data = data } == .notLittleEndian)
        }
    }

    @Test func badVersion() {
        #expect(rejected { $0.identVersion = 0 } == .badVersion)
        #expect(rejected { $0.identVersion = 2 } == .badVersion)
        #expect(rejected { $0.version = 0 } == .badVersion)
        #expect(rejected { $0.version = 0x0100_0000 } == .badVersion)  // 1 stored big-endian
    }

    @Test func unsupportedOSABI() {
        for osABI: UInt8 in [1, 2, 9, 97, 255] {  // HP-UX, NetBSD, FreeBSD, ARM, standalone
            #expect(rejected { $0.osABI = osABI } == .unsupportedOSABI, "os abi \(osABI)")
        }
    }

    @Test func fileTypesOtherThanExecutable() {
        #expect(rejected { $0.type = 1 } == .relocatableObject)
        #expect(rejected { $0.type = 3 } == .positionIndependent)
        #expect(rejected { $0.type = 4 } == .coreDump)
        for type: UInt16 in [0, 5, 0xFE00, 0xFFFF, 0x0200] {  // 0x0200: ET_EXEC big-endian
            #expect(rejected { $0.type = type } == .unknownFileType, "type \(type)")
        }
    }

    @Test func notX86_64() {
        for machine: UInt16 in [0, 3, 40, 183, 243, 0x3E00] {  // none, i386, ARM, AArch64, RISC-V, swapped
            #expect(rejected { $0.machine = machine } == .notX86_64, "machine \(machine)")
        }
    }

    @Test func badHeaderSizes() {
        #expect(rejected { $0.ehsize = 52 } == .badHeaderSize)  // ELF32's
        #expect(rejected { $0.ehsize = 0 } == .badHeaderSize)
        #expect(rejected { $0.ehsize = 65 } == .badHeaderSize)
        #expect(rejected { $0.phentsize = 32 } == .badProgramHeaderSize)  // ELF32's
        #expect(rejected { $0.phentsize = 0 } == .badProgramHeaderSize)
        #expect(rejected { $0.phentsize = 64 } == .badProgramHeaderSize)
    }

    @Test func extendedProgramHeaderCount() {
        #expect(rejected { $0.phnum = 0xFFFF } == .extendedProgramHeaderCount)
    }

    @Test func programHeaderTableOutsideTheFile() {
        #expect(rejected { $0.phoff = UInt64($0.fileSize) } == .programHeadersOutsideFile)
        #expect(rejected { $0.phoff = UInt64($0.fileSize) - 55 } == .programHeadersOutsideFile)
        #expect(rejected { $0.phoff = UInt64.max - 10 } == .programHeadersOutsideFile)  // offset + size wraps
        #expect(rejected { $0.phoff = UInt64.max } == .programHeadersOutsideFile)
        #expect(rejected { $0.phnum = 0xFFFE } == .programHeadersOutsideFile)
        #expect(rejected { $0.phnum = UInt16(($0.fileSize - 64) / 56 + 1) } == .programHeadersOutsideFile)
    }

    @Test func theFirstFailedCheckIsTheOneReported() {
        #expect(
            rejected {
                $0.magic[1] = 0
                $0.machine = 3
                $0.type = 3
            } == .badMagic)
        #expect(
            rejected {
                $0.elfClass = 1
                $0.data = 2
            } == .notSixtyFourBit)
        #expect(
            rejected {
                $0.type = 3
                $0.machine = 3
            } == .positionIndependent)
        #expect(
            rejected {
                $0.machine = 3
                $0.phentsize = 32
            } == .notX86_64)
        #expect(
            rejected {
                $0.phentsize = 32
                $0.phoff = UInt64.max
            } == .badProgramHeaderSize)
    }
}

import MemoryCore
import PageTables
import Testing
@testable import ProgramLoader

// One mutation of a valid file per program-header and whole-image rejection, each with its
// named reason and the index of the program header it is about.
@Suite struct SegmentRejectionTests {
    let base = TestElf.base
    let r = TestProgramHeader.r, w = TestProgramHeader.w, x = TestProgramHeader.x

    func rejected(_ mutate: (inout TestElf) -> Void) -> ElfError? {
        var elf = TestElf.threeSegments()
        mutate(&elf)
        return rejection(elf)
    }

    @Test func dynamicLinkingIsRefused() {
        #expect(
            rejected {
                $0.programHeaders.insert(TestProgramHeader(type: TestProgramHeader.interp, offset: 0x200, filesz: 28), at: 0)
            }
                == .needsInterpreter(programHeader: 0))
        #expect(
            rejected {
                $0.programHeaders.append(
                    TestProgramHeader(type: TestProgramHeader.dynamic, flags: 6, offset: 0x4010, filesz: 0x10))
            }
                == .dynamicSection(programHeader: 4))
    }

    @Test func executableStackIsRefused() {
        #expect(rejected { $0.programHeaders[3].flags = 7 } == .executableStack(programHeader: 3))
        #expect(rejected { $0.programHeaders[3].flags = 1 } == .executableStack(programHeader: 3))
    }

    @Test func segmentFlags() {
        #expect(rejected { $0.programHeaders[1].flags = 4 | 8 } == .unknownSegmentFlags(programHeader: 1))
        #expect(rejected { $0.programHeaders[1].flags = 4 | 0x0FF0_0000 } == .unknownSegmentFlags(programHeader: 1))
        #expect(rejected { $0.programHeaders[1].flags = 0x8000_0004 } == .unknownSegmentFlags(programHeader: 1))
        #expect(rejected { $0.programHeaders[1].flags = 0 } == .segmentNotReadable(programHeader: 1))
        #expect(rejected { $0.programHeaders[2].flags = w } == .segmentNotReadable(programHeader: 2))
        #expect(rejected { $0.programHeaders[0].flags = x } == .segmentNotReadable(programHeader: 0))
        #expect(rejected { $0.programHeaders[0].flags = r | w | x } == .writableAndExecutable(programHeader: 0))
        #expect(rejected { $0.programHeaders[2].flags = r | w | x } == .writableAndExecutable(programHeader: 2))
    }

    @Test func fileSizeLargerThanMemorySize() {
        #expect(rejected { $0.programHeaders[2].filesz = 0x2101 } == .fileSizeExceedsMemorySize(programHeader: 2))
        #expect(rejected { $0.programHeaders[1].memsz = 0 } == .fileSizeExceedsMemorySize(programHeader: 1))
    }

    @Test func segmentBytesOutsideTheFile() {
        #expect(rejected { $0.programHeaders[2].filesz = 0x101 } == .segmentOutsideFile(programHeader: 2))  // one byte past
        #expect(rejected { $0.programHeaders[1].offset = 0x10_3000 } == .segmentOutsideFile(programHeader: 1))
        // offset + filesz (0x800) wraps to 0x400, which is inside the file.
        #expect(rejected { $0.programHeaders[1].offset = UInt64.max - 0x3FF } == .segmentOutsideFile(programHeader: 1))
    }

    @Test func badAlignment() {
        for align: UInt64 in [3, 0x1800, 0x1001, UInt64.max] {
            #expect(rejected { $0.programHeaders[0].align = align } == .badSegmentAlignment(programHeader: 0), "align \(align)")
        }
    }

    @Test func offsetNotCongruentWithAddress() {
        #expect(rejected { $0.programHeaders[1].vaddr += 8 } == .segmentOffsetNotCongruent(programHeader: 1))
        #expect(rejected { $0.programHeaders[2].offset -= 0x10 } == .segmentOffsetNotCongruent(programHeader: 2))
        // Congruent modulo the page but not modulo p_align (2 MiB).
        #expect(
            rejected {
                $0.programHeaders[0].align = 0x20_0000
                $0.programHeaders[0].vaddr += 0x10_0000
            }
                == .segmentOffsetNotCongruent(programHeader: 0))
        // Not congruent modulo the page although p_align (1) asks for nothing.
        #expect(
            rejected {
                $0.programHeaders[1].align = 1
                $0.programHeaders[1].vaddr += 0x10
            }
                == .segmentOffsetNotCongruent(programHeader: 1))
    }

    @Test func segmentEndWrapsAround() {
        #expect(
            rejected {
                $0.programHeaders[2].vaddr = UInt64.max - 0xFFF + 0x10  // ≡ 0x010 mod page, like offset 0x4010
                $0.programHeaders[2].memsz = 0x2100
            } == .segmentWrapsAround(programHeader: 2))
        #expect(rejected { $0.programHeaders[1].memsz = UInt64.max } == .segmentWrapsAround(programHeader: 1))
    }

    @Test func segmentOutsideUserSpace() {
        let outside: [(UInt64, String)] = [
            (0x40_1000, "classic low link address, kernel identity map"),
            (0x1000, "near null"),
            (UserSpace.start.raw - 0x1000, "one page below user space"),
            (UserSpace.end.raw, "guard slot"),
            (0x0000_8000_0000_1000, "non-canonical hole"),
            (0xFFFF_8000_0000_1000, "kernel half"),
        ]
        for (vaddr, why) in outside {
            #expect(rejected { $0.programHeaders[1].vaddr = vaddr } == .segmentOutsideUserSpace(programHeader: 1), "\(why)")
        }
        // Starting in user space but with a .bss running one byte past its end.
        #expect(
            rejected {
                $0.programHeaders[2].vaddr = UserSpace.end.raw - 0x3000 + 0x10
                $0.programHeaders[2].memsz = 0x3000 - 0x10 + 1
            } == .segmentOutsideUserSpace(programHeader: 2))
    }

    @Test func tooManySegments() {
        var elf = TestElf.minimal()
        for i in 1 ... 16 {
            elf.programHeaders.append(
                .loadSegment(
                    flags: r, offset: 0x1000, vaddr: base + 0x1000 + UInt64(i) * 0x2000,
                    filesz: 0x10, memsz: 0x10))
        }
        #expect(rejection(elf) == .tooManyLoadSegments(programHeader: 16))
    }

    @Test func segmentsSharingAPage() {
        // text ends 0x234 into base+0x2000's page; rodata moved to start in that same page.
        #expect(
            rejected {
                $0.programHeaders[1].vaddr = base + 0x2000 + 0x300
                $0.programHeaders[1].offset = 0x3300
                $0.programHeaders[1].filesz = 0x10
                $0.programHeaders[1].memsz = 0x10
            } == .overlappingSegments(programHeader: 1))
        // The same segment twice; the later one in table order is named.
        #expect(rejected { $0.programHeaders.append($0.programHeaders[1]) } == .overlappingSegments(programHeader: 4))
        // A big .bss listed first that swallows the segments listed after it.
        #expect(
            rejected {
                $0.programHeaders.swapAt(0, 2)
                $0.programHeaders[0].vaddr = base + 0x10
                $0.programHeaders[0].memsz = 0x10_0000
            } == .overlappingSegments(programHeader: 1))
        // A segment wholly inside another's pages, listed first.
        #expect(
            rejected {
                $0.programHeaders.insert(.loadSegment(flags: r, offset: 0x1100, vaddr: base + 0x1100, filesz: 1, memsz: 1), at: 0)
            }
                == .overlappingSegments(programHeader: 1))
    }

    @Test func noLoadableSegment() {
        #expect(rejected { $0.programHeaders = [] } == .noLoadSegments)
        #expect(rejected { $0.programHeaders = [$0.programHeaders[3]] } == .noLoadSegments)  // only PT_GNU_STACK
        #expect(
            rejected {  // only an empty PT_LOAD
                $0.programHeaders = [.loadSegment(flags: r | x, offset: 0x1000, vaddr: base + 0x1000, filesz: 0, memsz: 0)]
            } == .noLoadSegments)
    }

    @Test func entryPointInNoSegment() {
        for entry in [0, base, base + 0x1000 + 0x1234, base + 0x2FFF, base + 0x4000, UInt64.max] {
            #expect(rejected { $0.entry = entry } == .entryOutsideSegments, "entry \(entry)")
        }
    }

    @Test func entryPointInANonExecutableSegment() {
        #expect(rejected { $0.entry = base + 0x3000 } == .entryNotExecutable)  // rodata
        #expect(rejected { $0.entry = base + 0x5010 } == .entryNotExecutable)  // data
        #expect(rejected { $0.entry = base + 0x7000 } == .entryNotExecutable)  // .bss
    }

    @Test func namesAreDistinctAndIndicesReported() {
        let all: [ElfError] = [
            .fileTooSmall, .badMagic, .notSixtyFourBit, .notLittleEndian, .badVersion, .unsupportedOSABI,
            .relocatableObject, .positionIndependent, .coreDump, .unknownFileType, .notX86_64, .badHeaderSize,
            .badProgramHeaderSize, .extendedProgramHeaderCount, .programHeadersOutsideFile,
            .needsInterpreter(programHeader: 1), .dynamicSection(programHeader: 2), .executableStack(programHeader: 3),
            .unknownSegmentFlags(programHeader: 4), .segmentNotReadable(programHeader: 5),
            .writableAndExecutable(programHeader: 6), .fileSizeExceedsMemorySize(programHeader: 7),
            .segmentOutsideFile(programHeader: 8), .badSegmentAlignment(programHeader: 9),
            .segmentOffsetNotCongruent(programHeader: 10), .segmentWrapsAround(programHeader: 11),
            .segmentOutsideUserSpace(programHeader: 12), .tooManyLoadSegments(programHeader: 13),
            .overlappingSegments(programHeader: 14), .noLoadSegments, .entryOutsideSegments, .entryNotExecutable,
        ]
        let names = all.map { $0.name.description }
        #expect(Set(names).count == all.count)
        #expect(names.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() && !$0.contains(" ") })
        #expect(all[..<15].allSatisfy { $0.programHeaderIndex == nil })
        #expect(all[15 ..< 29].enumerated().allSatisfy { $0.element.programHeaderIndex == $0.offset + 1 })
        #expect(all[29...].allSatisfy { $0.programHeaderIndex == nil })
        #expect(ElfError.badMagic.name.description == "bad-magic")
        #expect(ElfError.notX86_64.name.description == "not-x86-64")
        #expect(ElfError.segmentOutsideUserSpace(programHeader: 0).name.description == "segment-outside-user-space")
    }
}

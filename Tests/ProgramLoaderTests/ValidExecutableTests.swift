import MemoryCore
import PageTables
import Testing
@testable import ProgramLoader

// Files a static linker would produce: every one must be accepted with exactly the expected plan.
@Suite struct ValidExecutableTests {
    let base = TestElf.base
    let r = TestProgramHeader.r, w = TestProgramHeader.w, x = TestProgramHeader.x

    @Test func minimalProgram() throws {
        let plan = try #require(acceptedPlan(.minimal()))
        #expect(plan.checkInvariants() == nil)
        #expect(plan.entry == VirtualAddress(base + 0x1000))
        #expect(plan.segments.count == 1)
        let text = plan.segments[0]
        #expect(text.pages == VirtualPageRange(start: VirtualAddress(base + 0x1000), end: VirtualAddress(base + 0x2000)))
        #expect(text.fileOffset == 0x1000 && text.fileByteCount == 0x234 && text.memoryByteCount == 0x234)
        #expect(text.virtualAddress == VirtualAddress(base + 0x1000))
        #expect(text.pageFlags == [.present, .user])  // read + execute: neither writable nor NX
        #expect(text.leadingZeroByteCount == 0 && text.zeroFillByteCount == 0)
        #expect(text.trailingZeroByteCount == 0x1000 - 0x234)
        #expect(plan.imageEnd == VirtualAddress(base + 0x2000))
        #expect(plan.totalPageCount == 1)
        #expect(plan.fileByteCount == 0x1234 && plan.skippedEmptySegmentCount == 0)
    }

    @Test func textRodataDataAndBss() throws {
        let elf = TestElf.threeSegments()
        let bytes = elf.bytes()
        let plan = try #require(try? parse(bytes).get())
        #expect(plan.checkInvariants() == nil)
        #expect(plan.segments.count == 3)
        #expect(plan.entry == VirtualAddress(base + 0x1020))

        let text = plan.segments[0], rodata = plan.segments[1], data = plan.segments[2]
        #expect(text.pages.start.raw == base + 0x1000 && text.pages.end.raw == base + 0x3000)
        #expect(text.pageFlags == [.present, .user])
        #expect(rodata.pages.start.raw == base + 0x3000 && rodata.pages.end.raw == base + 0x4000)
        #expect(rodata.pageFlags == [.present, .user, .noExecute])
        #expect(data.pages.start.raw == base + 0x5000 && data.pages.end.raw == base + 0x8000)
        #expect(data.pageFlags == [.present, .user, .writable, .noExecute])
        #expect(data.programHeaderIndex == 2)

        // The data segment starts 0x10 into its page, copies 0x100 bytes, then 0x2000 of .bss.
        #expect(data.leadingZeroByteCount == 0x10)
        #expect(data.fileOffset == 0x4010 && data.fileByteCount == 0x100)
        #expect(data.zeroFillStart == VirtualAddress(base + 0x5110))
        #expect(data.zeroFillByteCount == 0x2000)
        #expect(data.trailingZeroByteCount == 0x3000 - 0x10 - 0x100)
        #expect(data.leadingZeroByteCount + data.fileByteCount + data.trailingZeroByteCount == data.pages.byteCount)

        #expect(plan.imageEnd == VirtualAddress(base + 0x8000))
        #expect(plan.totalPageCount == 2 + 1 + 3)
        bytes.withUnsafeBytes { file in
            let copied = data.fileBytes(in: file)
            #expect(copied.count == 0x100)
            #expect(Array(copied) == Array(bytes[0x4010 ..< 0x4110]))
        }
    }

    @Test func segmentsInAnyTableOrderArePlannedInAddressOrder() throws {
        var elf = TestElf.threeSegments()
        elf.programHeaders.reverse()
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil)
        #expect(plan.segments.map(\.pages.start.raw) == [base + 0x1000, base + 0x3000, base + 0x5000])
        #expect(plan.segments.map(\.programHeaderIndex) == [3, 2, 1])
    }

    @Test func emptyLoadSegmentsAreSkippedAndCounted() throws {
        var elf = TestElf.threeSegments()
        // Garbage everywhere but memsz == filesz == 0: describes nothing.
        elf.programHeaders.insert(
            TestProgramHeader(
                type: 1, flags: 0xFFFF_FFFF, offset: UInt64.max,
                vaddr: 7, filesz: 0, memsz: 0, align: 3), at: 1)
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil)
        #expect(plan.segments.count == 3 && plan.skippedEmptySegmentCount == 1)
    }

    @Test func otherProgramHeaderTypesAreIgnored() throws {
        var elf = TestElf.threeSegments()
        for type in [
            TestProgramHeader.note, TestProgramHeader.phdr, TestProgramHeader.tls,
            TestProgramHeader.gnuRelro, 0, 0x6FFF_FFFF, 0xFFFF_FFFF,
        ] {
            // Fields that would be rejected in a PT_LOAD: proof the type is not looked into.
            elf.programHeaders.append(
                TestProgramHeader(
                    type: type, flags: 7, offset: UInt64.max,
                    vaddr: 1, filesz: 99, memsz: 1, align: 3))
        }
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil && plan.segments.count == 3)
    }

    @Test func gnuOSABIIsAccepted() {
        var elf = TestElf.minimal()
        elf.osABI = 3
        #expect(acceptedPlan(elf)?.checkInvariants() == nil)
    }

    @Test func alignmentZeroOrOneNeedsOnlyPageCongruence() {
        for align: UInt64 in [0, 1, 16, 0x1000, 0x20_0000] {
            var elf = TestElf.minimal()
            elf.programHeaders[0].align = align
            elf.programHeaders[0].vaddr = base + 0x20_0000 + 0x1000 - (align == 0x20_0000 ? 0x1000 : 0)
            elf.programHeaders[0].offset = align == 0x20_0000 ? 0 : 0x1000
            elf.programHeaders[0].filesz = 0x100
            elf.entry = elf.programHeaders[0].vaddr
            #expect(acceptedPlan(elf)?.checkInvariants() == nil, "align \(align)")
        }
    }

    @Test func segmentsAtTheEdgesOfUserSpace() throws {
        var elf = TestElf.minimal()
        elf.programHeaders[0].vaddr = UserSpace.start.raw + 0x1000  // very first page (offset 0x1000)
        elf.entry = elf.programHeaders[0].vaddr
        elf.programHeaders.append(
            .loadSegment(
                flags: r | w, offset: 0x1234, vaddr: UserSpace.end.raw - 0x1000 + 0x234,
                filesz: 0, memsz: 0x1000 - 0x234))  // ends at UserSpace.end
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil)
        #expect(plan.imageEnd == UserSpace.end)
        #expect(plan.segments[1].pages.start.raw == UserSpace.end.raw - 0x1000)
        #expect(plan.segments[1].fileByteCount == 0 && plan.segments[1].zeroFillByteCount == 0x1000 - 0x234)
    }

    @Test func segmentsMayTouchButNotSharePages() throws {
        var elf = TestElf.minimal()
        elf.programHeaders[0].filesz = 0x1000
        elf.programHeaders[0].memsz = 0x1000
        elf.programHeaders.append(.loadSegment(flags: r | w, offset: 0x1000, vaddr: base + 0x2000, filesz: 0x10, memsz: 0x10))
        elf.fileSize = 0x2000
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil && plan.totalPageCount == 2)
        #expect(plan.segments[0].pages.end == plan.segments[1].pages.start)
    }

    @Test func sixteenSegmentsFit() throws {
        var elf = TestElf.minimal()
        for i in 1 ..< 16 {
            elf.programHeaders.append(
                .loadSegment(
                    flags: r, offset: 0x1000, vaddr: base + 0x1000 + UInt64(i) * 0x2000,
                    filesz: 0x10, memsz: 0x10))
        }
        let plan = try #require(acceptedPlan(elf))
        #expect(plan.checkInvariants() == nil && plan.segments.count == LoadPlan.segmentCapacity)
    }

    @Test func entryAtTheLastByteOfTheTextSegment() {
        var elf = TestElf.minimal()
        elf.entry = base + 0x1000 + 0x233
        #expect(acceptedPlan(elf)?.checkInvariants() == nil)
    }

    @Test func tableEndingExactlyAtTheFileEnd() {
        var elf = TestElf.minimal()
        elf.phoff = UInt64(elf.fileSize) - 56
        #expect(acceptedPlan(elf)?.checkInvariants() == nil)
    }

    @Test func zeroFileBytesAtTheFileEnd() {
        var elf = TestElf.minimal()
        elf.programHeaders.append(.loadSegment(flags: r | w, offset: 0x1234, vaddr: base + 0x5234, filesz: 0, memsz: 0x10))
        #expect(acceptedPlan(elf)?.checkInvariants() == nil)
    }

    @Test func narrowedUserRange() throws {
        let narrow = try #require(VirtualPageRange(start: VirtualAddress(base + 0x1000), end: VirtualAddress(base + 0x2000)))
        #expect(acceptedPlan(.minimal(), userRange: narrow)?.userRange == narrow)
        let tooNarrow = try #require(VirtualPageRange(start: VirtualAddress(base + 0x2000), end: VirtualAddress(base + 0x3000)))
        #expect(rejection(.minimal(), userRange: tooNarrow) == .segmentOutsideUserSpace(programHeader: 0))
    }
}

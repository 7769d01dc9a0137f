import MemoryCore
import PageTables
import Testing
@testable import ProgramLoader

// checkInvariants must notice each kind of broken plan: build a valid plan, break one thing.
@Suite struct InvariantCheckTests {
    let base = TestElf.base

    func validPlan() throws -> LoadPlan {
        try #require(acceptedPlan(.threeSegments()))
    }

    /// The valid plan with segment `position` replaced by `change(segment)`.
    func withSegment(_ position: Int, _ change: (LoadSegment) -> LoadSegment) throws -> LoadPlan {
        var plan = try validPlan()
        plan.segments.storage[position] = change(plan.segments[position])
        return plan
    }

    func segment(
        _ s: LoadSegment, vaddr: UInt64? = nil, memsz: UInt64? = nil, offset: UInt64? = nil,
        filesz: UInt64? = nil, permissions: SegmentPermissions? = nil, pages: VirtualPageRange? = nil
    ) -> LoadSegment {
        LoadSegment(
            programHeaderIndex: s.programHeaderIndex, virtualAddress: VirtualAddress(vaddr ?? s.virtualAddress.raw),
            memoryByteCount: memsz ?? s.memoryByteCount, fileOffset: offset ?? s.fileOffset,
            fileByteCount: filesz ?? s.fileByteCount, permissions: permissions ?? s.permissions, pages: pages ?? s.pages)
    }

    @Test func validPlanPasses() throws {
        #expect(try validPlan().checkInvariants() == nil)
    }

    @Test func segmentCount() throws {
        let empty = LoadPlan(entry: VirtualAddress(base), fileByteCount: 0, userRange: .userSpace)
        #expect(empty.checkInvariants() == .segmentCountOutOfRange)
    }

    @Test func brokenSegments() throws {
        #expect(try withSegment(1) { segment($0, memsz: 0, filesz: 0) }.checkInvariants() == .emptySegment(segment: 1))
        #expect(try withSegment(2) { segment($0, filesz: 0x2101) }.checkInvariants() == .fileBytesExceedMemory(segment: 2))
        #expect(try withSegment(2) { segment($0, memsz: 0x3000) }.checkInvariants() == .pagesMisrounded(segment: 2))
        #expect(
            try withSegment(0) { segment($0, vaddr: $0.virtualAddress.raw + 0x1000) }.checkInvariants()
                == .pagesMisrounded(segment: 0))
        #expect(try withSegment(2) { segment($0, offset: 0x4011) }.checkInvariants() == .copyOutsideFile(segment: 2))
        #expect(try withSegment(2) { segment($0, offset: UInt64.max) }.checkInvariants() == .copyOutsideFile(segment: 2))
        #expect(try withSegment(1) { segment($0, offset: 0x2F00) }.checkInvariants() == .notCongruent(segment: 1))
        #expect(
            try withSegment(1) { segment($0, permissions: [.readable, .writable, .executable]) }.checkInvariants()
                == .badPermissions(segment: 1))
        #expect(try withSegment(1) { segment($0, permissions: [.writable]) }.checkInvariants() == .badPermissions(segment: 1))
        #expect(
            try withSegment(1) { segment($0, permissions: SegmentPermissions(rawValue: 0x14)) }.checkInvariants()
                == .badPermissions(segment: 1))
    }

    @Test func segmentOutsideTheUserRange() throws {
        let low = UserSpace.start.raw - 0x1000
        let outside = try withSegment(0) {
            segment($0, vaddr: low, pages: VirtualPageRange(start: VirtualAddress(low), end: VirtualAddress(low + 0x2000))!)
        }
        #expect(outside.checkInvariants() == .outsideUserRange(segment: 0))
    }

    @Test func unsortedOrOverlapping() throws {
        var swapped = try validPlan()
        swapped.segments.storage.swapAt(0, 1)
        #expect(swapped.checkInvariants() == .unsortedOrOverlapping(segment: 1))
        // rodata moved into text's last page (the file bytes still congruent).
        let overlapping = try withSegment(1) {
            segment(
                $0, vaddr: base + 0x2000, offset: 0x2000,
                pages: VirtualPageRange(start: VirtualAddress(base + 0x2000), end: VirtualAddress(base + 0x3000))!)
        }
        #expect(overlapping.checkInvariants() == .unsortedOrOverlapping(segment: 1))
    }

    @Test func entryAndTotals() throws {
        let valid = try validPlan()
        var moved = LoadPlan(entry: VirtualAddress(base + 0x3000), fileByteCount: valid.fileByteCount, userRange: valid.userRange)
        moved.segments = valid.segments
        moved.imageEnd = valid.imageEnd
        moved.totalPageCount = valid.totalPageCount
        #expect(moved.checkInvariants() == .entryNotExecutable)

        var plan = valid
        plan.imageEnd = VirtualAddress(plan.imageEnd.raw + 0x1000)
        #expect(plan.checkInvariants() == .imageEndMismatch)
        plan = valid
        plan.totalPageCount -= 1
        #expect(plan.checkInvariants() == .pageCountMismatch)
    }

    @Test func violationNamesAreDistinct() {
        let all: [LoadPlanViolation] = [
            .segmentCountOutOfRange, .emptySegment(segment: 0), .fileBytesExceedMemory(segment: 0),
            .pagesMisrounded(segment: 0), .outsideUserRange(segment: 0), .copyOutsideFile(segment: 0),
            .notCongruent(segment: 0), .badPermissions(segment: 0), .unsortedOrOverlapping(segment: 0),
            .entryNotExecutable, .imageEndMismatch, .pageCountMismatch,
        ]
        #expect(Set(all.map { $0.name.description }).count == all.count)
    }
}

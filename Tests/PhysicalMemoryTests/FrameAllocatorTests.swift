// Frame allocator unit tests: every operation, every error (with the metadata proven unchanged),
// setup errors, metadata size, maps with holes and memory above 4 GiB.
@testable import PhysicalMemory
import MemoryCore
import Testing

@Suite struct FrameAllocatorTests {
    /// Frames 0x40 ..< 0x140 usable, a hole at 0x80 ..< 0x90, the kernel at 0xA0 ..< 0xA4.
    func standardFixture() throws -> AllocatorFixture {
        try AllocatorFixture(
            usable: [frames(0x40, 0x80), frames(0x90, 0x140)],
            reserved: [(frames(0xA0, 0xA4).physicalRange, .kernelImage)])
    }

    /// Runs a failing operation and checks both the error and that no metadata byte changed.
    func expectRefused(
        _ fixture: AllocatorFixture, _ expected: FrameAllocatorError,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        let before = fixture.snapshot()
        #expect(frameError(body) == expected, sourceLocation: sourceLocation)
        #expect(fixture.snapshot() == before, "metadata changed on error", sourceLocation: sourceLocation)
        #expect(fixture.allocator.checkInvariants() == nil, sourceLocation: sourceLocation)
    }

    @Test func initialStateCountsUsableReservedAndHoles() throws {
        let fixture = try standardFixture()
        let stats = fixture.allocator.statistics
        #expect(stats == FrameStatistics(totalFrames: 0x40 + 0xB0 - 4, freeFrames: 0x40 + 0xB0 - 4, reservedFrames: 4))
        #expect(stats.usedFrames == 0)
        #expect(fixture.allocator.checkInvariants() == nil)
        #expect(fixture.allocator.state(of: FrameNumber(0x85)) == .notManaged)
        #expect(fixture.allocator.state(of: FrameNumber(0xA2)) == .reserved)
        #expect(fixture.allocator.state(of: FrameNumber(0x3F)) == .notManaged)
        #expect(fixture.allocator.state(of: FrameNumber(0x140)) == .notManaged)
        #expect(fixture.allocator.isFree(FrameNumber(0x40)) && !fixture.allocator.isFree(FrameNumber(0xA0)))
        #expect(fixture.allocator.largestFreeRun() == 0x140 - 0xA4)
    }

    @Test func singleFramesComeLowestFirstAndSkipHolesAndReservations() throws {
        let fixture = try standardFixture()
        var handedOut: [UInt64] = []
        for _ in 0 ..< 0x40 + 0x10 + 1 { handedOut.append(try fixture.allocator.allocate().raw) }
        #expect(handedOut == Array(0x40 ..< 0x80) + Array(0x90 ..< 0xA0) + [0xA4])
        #expect(fixture.allocator.statistics.usedFrames == 0x51)
        #expect(fixture.allocator.state(of: FrameNumber(0x41)) == .allocatedRunStart)
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func freedFrameIsReusedFirst() throws {
        let fixture = try standardFixture()
        for _ in 0 ..< 10 { _ = try fixture.allocator.allocate() }
        try fixture.allocator.free(FrameNumber(0x43))
        #expect(fixture.allocator.isFree(FrameNumber(0x43)))
        #expect(try fixture.allocator.allocate() == FrameNumber(0x43))
        #expect(try fixture.allocator.allocate() == FrameNumber(0x4A))
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func exhaustionThenOutOfMemoryThenRecovery() throws {
        let fixture = try standardFixture()
        var all: [FrameNumber] = []
        for _ in 0 ..< fixture.allocator.totalFrames { all.append(try fixture.allocator.allocate()) }
        #expect(Set(all).count == all.count)
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate() }
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate(count: 2, alignment: 1) }
        #expect(fixture.allocator.largestFreeRun() == 0)
        for frame in all { try fixture.allocator.free(frame) }
        #expect(fixture.allocator.statistics.freeFrames == fixture.allocator.totalFrames)
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func alignedRunsStartAtMultiplesAndAvoidHoles() throws {
        let fixture = try standardFixture()
        _ = try fixture.allocator.allocate()
        let run = try fixture.allocator.allocate(count: 8, alignment: 8)
        #expect(run == FrameNumber(0x48))
        // 0x31 frames do not fit in 0x50 ..< 0x80 (0x30 free), nor in 0x90 ..< 0xA0 (kernel at 0xA0).
        let big = try fixture.allocator.allocate(count: 0x31, alignment: 1)
        #expect(big == FrameNumber(0xA4))
        let exact = try fixture.allocator.allocate(count: 0x30, alignment: 16)
        #expect(exact == FrameNumber(0x50))
        // 64 aligned frames: 0xC0 is taken by `big` (0xA4 ..< 0xD5), so the next is 0x100.
        let aligned64 = try fixture.allocator.allocate(count: 64, alignment: 64)
        #expect(aligned64 == FrameNumber(0x100))
        #expect(fixture.allocator.state(of: FrameNumber(0x100)) == .allocatedRunStart)
        #expect(fixture.allocator.state(of: FrameNumber(0x13F)) == .allocatedInsideRun)
        try fixture.allocator.free(runStartingAt: exact, count: 0x30)
        #expect(fixture.allocator.checkInvariants() == nil)
        try fixture.allocator.free(runStartingAt: aligned64, count: 64)
        try fixture.allocator.free(runStartingAt: big, count: 0x31)
        try fixture.allocator.free(runStartingAt: run, count: 8)
        #expect(fixture.allocator.statistics.usedFrames == 1)
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func runsLongerThanAWordAndAlignmentsAboveAWord() throws {
        let fixture = try AllocatorFixture(usable: [frames(0x10, 0x1000)])
        let long = try fixture.allocator.allocate(count: 300, alignment: 1)
        #expect(long == FrameNumber(0x10))
        let medium = try fixture.allocator.allocate(count: 100, alignment: 4)
        #expect(medium == FrameNumber(0x13C))
        let wide = try fixture.allocator.allocate(count: 3, alignment: 512)
        #expect(wide == FrameNumber(0x200))
        let page2M = try fixture.allocator.allocate(count: 512, alignment: 512)
        #expect(page2M == FrameNumber(0x400))
        #expect(fixture.allocator.checkInvariants() == nil)
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate(count: 0xC00, alignment: 1) }
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate(count: 1, alignment: 0x1000) }
    }

    @Test func allocationErrors() throws {
        let fixture = try standardFixture()
        _ = try fixture.allocator.allocate()
        expectRefused(fixture, .invalidCount) { _ = try fixture.allocator.allocate(count: 0, alignment: 1) }
        expectRefused(fixture, .invalidCount) { _ = try fixture.allocator.allocate(count: 0x101, alignment: 1) }
        expectRefused(fixture, .invalidCount) { _ = try fixture.allocator.allocate(count: UInt64.max, alignment: 1) }
        expectRefused(fixture, .invalidAlignment) { _ = try fixture.allocator.allocate(count: 1, alignment: 0) }
        expectRefused(fixture, .invalidAlignment) { _ = try fixture.allocator.allocate(count: 2, alignment: 3) }
        expectRefused(fixture, .invalidAlignment) { _ = try fixture.allocator.allocate(count: 2, alignment: 96) }
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate(count: 0xF0, alignment: 1) }
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate(count: 1, alignment: 1 << 63) }
    }

    @Test func freeErrorsEachLeaveTheMetadataUnchanged() throws {
        let fixture = try standardFixture()
        let single = try fixture.allocator.allocate()  // 0x40
        let run = try fixture.allocator.allocate(count: 4, alignment: 4)  // 0x44 ..< 0x48
        let next = try fixture.allocator.allocate(count: 4, alignment: 4)  // 0x48 ..< 0x4C
        #expect(single == FrameNumber(0x40) && run == FrameNumber(0x44) && next == FrameNumber(0x48))
        let allocator = fixture.allocator
        expectRefused(fixture, .alreadyFree) { try allocator.free(FrameNumber(0x60)) }
        expectRefused(fixture, .notManaged) { try allocator.free(FrameNumber(0x85)) }  // hole
        expectRefused(fixture, .notManaged) { try allocator.free(FrameNumber(0x3F)) }  // below span
        expectRefused(fixture, .notManaged) { try allocator.free(FrameNumber(0x140)) }  // past span
        expectRefused(fixture, .notManaged) { try allocator.free(FrameNumber(1 << 50)) }
        expectRefused(fixture, .notManaged) { try allocator.free(runStartingAt: FrameNumber(0x13F), count: 2) }
        expectRefused(fixture, .reserved) { try allocator.free(FrameNumber(0xA1)) }
        expectRefused(fixture, .runMismatch) { try allocator.free(FrameNumber(0x45)) }  // inside a run
        expectRefused(fixture, .runMismatch) { try allocator.free(run) }  // part of a run
        expectRefused(fixture, .runMismatch) { try allocator.free(runStartingAt: run, count: 3) }
        expectRefused(fixture, .runMismatch) { try allocator.free(runStartingAt: run, count: 5) }  // into next
        expectRefused(fixture, .runMismatch) { try allocator.free(runStartingAt: run, count: 8) }  // two runs
        expectRefused(fixture, .runMismatch) { try allocator.free(runStartingAt: next, count: 5) }  // into free
        expectRefused(fixture, .runMismatch) { try allocator.free(runStartingAt: single, count: 2) }
        expectRefused(fixture, .invalidCount) { try allocator.free(runStartingAt: run, count: 0) }
        expectRefused(fixture, .invalidCount) { try allocator.free(runStartingAt: run, count: 0x101) }
        try allocator.free(runStartingAt: run, count: 4)
        expectRefused(fixture, .alreadyFree) { try allocator.free(runStartingAt: run, count: 4) }  // double free
        expectRefused(fixture, .alreadyFree) { try allocator.free(run) }
        try allocator.free(single)
        expectRefused(fixture, .alreadyFree) { try allocator.free(single) }
        #expect(fixture.allocator.statistics.usedFrames == 4)
    }

    @Test func reservationOverlappingUsableFramesWins() throws {
        let usable = usableRanges([frames(0x100, 0x200)])
        // Byte-granular reservation touching frames 0x120 and 0x121, and one outside the span.
        let reservations = reservationList([(bytes(0x120FFF, 0x121001), .multibootInfo), (bytes(0, 0x1000), .firstMebibyte)])
        let fixture = try AllocatorFixture(span: usable.span, usable: usable, reservations: reservations)
        #expect(fixture.allocator.statistics.reservedFrames == 2)
        #expect(fixture.allocator.totalFrames == 0xFE)
        #expect(fixture.allocator.state(of: FrameNumber(0x121)) == .reserved)
        #expect(fixture.allocator.state(of: FrameNumber(0)) == .notManaged)
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func setupErrors() throws {
        let usable = usableRanges([frames(0x100, 0x200)])
        let needed = FrameAllocator.metadataByteCount(managing: usable.span)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: Int(needed) + 8, alignment: 8)
        defer { storage.deallocate() }
        func setup(_ span: FrameRange, _ pointer: UnsafeMutableRawPointer, _ count: UInt64) -> FrameAllocatorSetupError? {
            do {
                _ = try FrameAllocator(
                    span: span, storage: pointer, storageByteCount: count, usable: usable, reservations: ReservationList())
                return nil
            } catch { return error }
        }
        #expect(setup(frames(5, 5), storage, needed) == .emptySpan)
        #expect(setup(usable.span, storage, needed - 1) == .storageTooSmall(required: needed, provided: needed - 1))
        #expect(setup(usable.span, storage + 4, needed) == .storageMisaligned)
        #expect(setup(frames(0x100, 0x1FF), storage, needed) == .usableRangeOutsideSpan(frames(0x100, 0x200)))
        #expect(setup(usable.span, storage, needed) == nil)
        #expect(FrameAllocator.metadataByteCount(managing: frames(7, 7)) == 0)
    }

    @Test func metadataCostIsStatedAndUnderATenthOfAPercent() throws {
        let perGiB = FrameAllocator.metadataByteCount(managing: frames(0, GiB / frameSize))
        #expect(perGiB == 168_992)  // 17 101 words + 65 for the recent stack + 6 * 585 + 7 * 64 for the aligned summaries
        #expect(Double(perGiB) / Double(GiB) < 0.001)
        let sixGiB = FrameAllocator.metadataByteCount(managing: frames(0, 0x1c0000))
        #expect(Double(sixGiB) / Double(7 * GiB) < 0.0002)
        // An unaligned span needs one more leaf word per bitmap (4097), so the summaries grow a level:
        // 4 leaf words, 3 free-summary words (65 + 2 + 1 instead of 64 + 1), 3 full-word words and
        // 5 words in each of the seven run-length summaries (513 + 65 + 9 + 2 + 1 instead of
        // 512 + 64 + 8 + 1).
        let odd = FrameAllocator.metadataByteCount(managing: frames(0x100001, 0x100001 + GiB / frameSize))
        #expect(odd == perGiB + 45 * 8)
    }

    @Test func manyRegionsWithHolesAndMemoryAboveFourGiB() throws {
        var list: [FrameRange] = [frames(0x100, 0x9F), frames(0x100, 0xC0000)].filter { !$0.isEmpty && $0.start < $0.end }
        list = [frames(0, 0x9F), frames(0x100, 0x200)]
        // 60 small islands above 4 GiB, each 37 frames, separated by 27-frame holes.
        for island in 0 ..< 60 {
            let start = UInt64(0x100000 + island * 64)
            list.append(frames(start, start + 37))
        }
        let fixture = try AllocatorFixture(usable: list)
        #expect(fixture.allocator.totalFrames == 0x9F + 0x100 + 60 * 37)
        var seen = Set<UInt64>()
        while let frame = try? fixture.allocator.allocate() {
            #expect(seen.insert(frame.raw).inserted)
            #expect(list.contains { $0.contains(frame) })
        }
        #expect(UInt64(seen.count) == fixture.allocator.totalFrames)
        #expect(fixture.allocator.checkInvariants() == nil)
        try fixture.allocator.free(FrameNumber(0x100000 + 5 * 64 + 36))
        try fixture.allocator.free(FrameNumber(0x100000 + 5 * 64 + 35))
        #expect(try fixture.allocator.allocate() == FrameNumber(0x100000 + 5 * 64 + 35))
        expectRefused(fixture, .notManaged) { try fixture.allocator.free(FrameNumber(0x100000 + 5 * 64 + 40)) }
        expectRefused(fixture, .notManaged) { try fixture.allocator.free(FrameNumber(0xC0000)) }
        // Free one island entirely as single frames: a 37-frame run fits there and nowhere else.
        for offset in 0 ..< 37 { try fixture.allocator.free(FrameNumber(0x100000 + 17 * 64 + UInt64(offset))) }
        #expect(fixture.allocator.largestFreeRun() == 37)
        #expect(try fixture.allocator.allocate(count: 37, alignment: 64) == FrameNumber(0x100000 + 17 * 64))
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func tinySpanInsideOneWord() throws {
        let fixture = try AllocatorFixture(usable: [frames(0x1003, 0x1009)])
        #expect(fixture.allocator.metadataBytes == FrameAllocator.metadataByteCount(managing: frames(0x1003, 0x1009)))
        #expect(try fixture.allocator.allocate(count: 2, alignment: 4) == FrameNumber(0x1004))
        #expect(try fixture.allocator.allocate() == FrameNumber(0x1003))
        #expect(try fixture.allocator.allocate(count: 2, alignment: 2) == FrameNumber(0x1006))
        #expect(try fixture.allocator.allocate() == FrameNumber(0x1008))
        expectRefused(fixture, .outOfMemory) { _ = try fixture.allocator.allocate() }
        #expect(fixture.allocator.checkInvariants() == nil)
    }

    @Test func errorNamesForTheLog() {
        let names = [
            FrameAllocatorError.outOfMemory, .alreadyFree, .notManaged, .reserved, .runMismatch,
            .invalidCount, .invalidAlignment,
        ].map { $0.name.description }
        #expect(
            names == [
                "out-of-memory", "already-free", "not-managed", "reserved", "run-mismatch",
                "invalid-count", "invalid-alignment",
            ])
    }

    @Test func emptyAllocatorManagesNothing() {
        let empty = FrameAllocator()
        #expect(frameError { _ = try empty.allocate() } == .outOfMemory)
        #expect(frameError { _ = try empty.allocate(count: 2, alignment: 2) } == .invalidCount)
        #expect(frameError { try empty.free(FrameNumber(5)) } == .notManaged)
        #expect(frameError { try empty.free(runStartingAt: FrameNumber(5), count: 0) } == .invalidCount)
        #expect(empty.statistics == FrameStatistics(totalFrames: 0, freeFrames: 0, reservedFrames: 0))
        #expect(empty.state(of: FrameNumber(0)) == .notManaged && !empty.isFree(FrameNumber(0)))
        #expect(empty.largestFreeRun() == 0 && empty.metadataBytes == 0)
        #expect(empty.checkInvariants() == nil)
    }

    @Test func copiesOfTheHandleShareOneAllocator() throws {
        let fixture = try standardFixture()
        let copy = fixture.allocator
        let frame = try copy.allocate()
        #expect(fixture.allocator.state(of: frame) == .allocatedRunStart)
        #expect(fixture.allocator.statistics.usedFrames == 1)
        #expect(frameError { try fixture.allocator.free(frame) } == nil)
        #expect(frameError { try copy.free(frame) } == .alreadyFree)
        withExtendedLifetime(fixture) {}
    }

    @Test func invariantCheckerCatchesCorruption() throws {
        let fixture = try standardFixture()
        let allocator = fixture.allocator
        _ = try allocator.allocate()
        let words = allocator.words
        // A free bit on a reserved frame.
        let reservedIndex = allocator.index(of: FrameNumber(0xA0))
        let freeWord = allocator.layout.free.offset(ofLevel: 0) + reservedIndex / 64
        words[freeWord] |= 1 << UInt64(reservedIndex % 64)
        #expect(allocator.checkInvariants() == .freeFrameNotManaged(FrameNumber(0xA0)))
        words[freeWord] &= ~(1 << UInt64(reservedIndex % 64))
        #expect(allocator.checkInvariants() == nil)
        // A wrong free count.
        allocator.freeCount += 1
        #expect(
            allocator.checkInvariants() == .freeCountMismatch(recorded: allocator.totalFrames, counted: allocator.totalFrames - 1)
        )
        allocator.freeCount -= 1
        // A lost start bit makes an orphan allocated frame.
        let startWord = allocator.layout.startsOffset
        words[startWord] &= ~1
        #expect(allocator.checkInvariants() == .allocatedFrameWithoutRun(FrameNumber(0x40)))
        words[startWord] |= 1
        // A hint above a free frame.
        allocator.hint = 0x60
        #expect(allocator.checkInvariants() == .freeFrameBelowHint(FrameNumber(0x41)))
        allocator.hint = 1
        #expect(allocator.checkInvariants() == nil)
        withExtendedLifetime(fixture) {}
    }
}

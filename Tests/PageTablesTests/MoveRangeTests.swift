import MemoryCore
import Testing
@testable import PageTables
import TestSupport

// moveRange: page-table entries move, frames stay; all or nothing (remap's primitive).
@Suite struct MoveRangeTests {
    /// Three 4 KiB pages at (1,0,0,510...512) (crossing a PT boundary) with frames 10, 11, 12.
    func threePages() throws -> (SimulatedRAM, RecordingFrameSource, TestSpace) {
        var (ram, source, space) = try makeSpace()
        let flush = try space.mapRange(startingAt: page(1, 0, 0, 510), pageCount: 3, size: .size4KiB,
                                       flags: [.user, .writable, .noExecute], tableFrames: &source) { FrameNumber(10 + $0) }
        flush.discard(.entriesWereNotPresent)
        return (ram, source, space)
    }

    @Test func entriesMoveFramesStayAndTheSourceIsFlushed() throws {
        var (_, source, space) = try threePages()
        let flush = try space.moveRange(from: page(1, 0, 0, 510), to: page(3, 2, 1, 0), pageCount: 3, tableFrames: &source)
        #expect(flush.start == page(1, 0, 0, 510) && flush.pageCount == 3)
        flush.discard(.addressSpaceNotLoaded)
        for index in 0 ..< 3 {
            #expect(space.translate(VirtualAddress(page(1, 0, 0, 510).raw + UInt64(index) * 4096)) == nil)
            let moved = space.translate(VirtualAddress(page(3, 2, 1, 0).raw + UInt64(index) * 4096))
            #expect(moved?.frame == FrameNumber(UInt64(10 + index)) && moved?.flags.contains(.writable) == true)
        }
        // The source's tables (PDPT, PD, 2 PTs under slot 1) went back; the destination's came.
        #expect(space.mapped4KiBCount == 3 && space.tableFrameCount == 4)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func refusalsChangeNothing() throws {
        var (ram, source, space) = try threePages()
        let rootBefore = (0 ..< 512).map { ram.rawEntry(space.root, $0) }
        func moveError(_ from: VirtualAddress, _ to: VirtualAddress, _ count: UInt64) -> PageTableError? {
            error { _ = try space.moveRange(from: from, to: to, pageCount: count, tableFrames: &source) }
        }
        #expect(moveError(page(1, 0, 0, 510), page(1, 0, 0, 511), 3) == .alreadyMapped)  // overlapping runs
        #expect(moveError(page(1, 0, 0, 509), page(5, 0, 0, 0), 3) == .notMapped)      // a hole in the source
        #expect(moveError(page(1, 0, 0, 510), VirtualAddress(page(5, 0, 0, 0).raw + 8), 3) == .misaligned)
        #expect(moveError(page(1, 0, 0, 510), page(254, 511, 511, 511), 3) == .rangeOverflow)
        #expect(moveError(page(1, 0, 0, 510), page(300, 0, 0, 0), 3) == .outsideAddressSpace)
        // Table frames for the destination's PDPT and PD only: the PT cannot be had.
        source.outstandingLimit = source.outstanding.count + 2
        #expect(moveError(page(1, 0, 0, 510), page(6, 0, 0, 0), 3) == .outOfTableFrames)
        #expect((0 ..< 512).map { ram.rawEntry(space.root, $0) } == rootBefore)
        #expect(space.mapped4KiBCount == 3 && space.translate(page(1, 0, 0, 511))?.frame == FrameNumber(11))
        #expect(source.badFrees.isEmpty && space.checkInvariants(ledger: source) == nil)
    }

    @Test func aHugePageIsNotMovedAsSmallPages() throws {
        var (_, source, space) = try makeSpace()
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [.user], tableFrames: &source)
        #expect(error { _ = try space.moveRange(from: page(1, 0, 1, 0), to: page(2, 0, 0, 0), pageCount: 1, tableFrames: &source) }
                == .pageSizeMismatch)
    }

    @Test func uniformFlagsNeedOneProtectionAndEveryPage() throws {
        var (_, source, space) = try threePages()
        #expect(space.uniformLeafFlags(startingAt: page(1, 0, 0, 510), pageCount: 3) == [.present, .user, .writable, .noExecute])
        #expect(space.uniformLeafFlags(startingAt: page(1, 0, 0, 510), pageCount: 4) == nil)
        try space.protectRegion(startingAt: page(1, 0, 0, 511), pageCount: 1, flags: [.user]).discard(.addressSpaceNotLoaded)
        #expect(space.uniformLeafFlags(startingAt: page(1, 0, 0, 510), pageCount: 3) == nil)
        #expect(space.uniformLeafFlags(startingAt: page(1, 0, 0, 511), pageCount: 1) == [.present, .user])
        _ = source
    }
}

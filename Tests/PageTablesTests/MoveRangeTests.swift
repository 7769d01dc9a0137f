import MemoryCore
import Testing
@testable import PageTables
import TestSupport

// moveRange: page-table entries move, frames stay, holes stay holes; all or nothing (remap's primitive).
@Suite struct MoveRangeTests {
    /// Three 4 KiB pages at (1,0,0,510...512) (crossing a PT boundary) with frames 10, 11, 12.
    func threePages() throws -> (SimulatedRAM, RecordingFrameSource, TestSpace) {
        var (ram, source, space) = try makeSpace()
        let flush = try space.mapRange(
            startingAt: page(1, 0, 0, 510), pageCount: 3, size: .size4KiB,
            flags: [.user, .writable, .noExecute], tableFrames: &source
        ) { FrameNumber(10 + $0) }
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
        // overlap on holes
        #expect(moveError(page(1, 0, 0, 510), VirtualAddress(page(1, 0, 0, 510).raw + 3 * 4096), 6) == .alreadyMapped)
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
        #expect(
            error { _ = try space.moveRange(from: page(1, 0, 1, 0), to: page(2, 0, 0, 0), pageCount: 1, tableFrames: &source) }
                == .pageSizeMismatch)
    }

    @Test func aSparseRunMovesItsPresentEntriesAndHolesStayHoles() throws {
        var (_, source, space) = try makeSpace()
        let start = page(1, 0, 0, 510)
        for index: UInt64 in [0, 3] {  // pages 0 and 3 of five (across a PT boundary), frames 20 and 23
            try space.map(
                VirtualAddress(start.raw + index * 4096), to: FrameNumber(20 + index), size: .size4KiB,
                flags: [.user, .noExecute], tableFrames: &source)
        }
        let flush = try space.moveRange(from: start, to: page(4, 0, 0, 0), pageCount: 5, tableFrames: &source)
        #expect(flush.start == start && flush.pageCount == 4 && flush.changedBytes == 2 * 4096, "first to last moved entry")
        flush.discard(.addressSpaceNotLoaded)
        let moved = (0 ..< 5).map { space.translate(VirtualAddress(page(4, 0, 0, 0).raw + UInt64($0) * 4096))?.frame }
        #expect(moved == [FrameNumber(20), nil, nil, FrameNumber(23), nil])
        #expect((0 ..< 5).allSatisfy { space.translate(VirtualAddress(start.raw + UInt64($0) * 4096)) == nil })
        #expect(space.translate(page(4, 0, 0, 0))?.flags.contains(.writable) == false, "entries unchanged")
        #expect(space.mapped4KiBCount == 2 && space.tableFrameCount == 4 && space.checkInvariants(ledger: source) == nil)
        // A run with no present entry moves nothing and owes no flush.
        let empty = try space.moveRange(from: start, to: page(6, 0, 0, 0), pageCount: 5, tableFrames: &source)
        #expect(empty.pageCount == 0 && empty.changedBytes == 0)
        empty.discard(.entriesWereNotPresent)
        #expect(space.tableFrameCount == 4 && space.checkInvariants(ledger: source) == nil)
    }
}

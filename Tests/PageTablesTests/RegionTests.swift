import MemoryCore
import Testing
@testable import PageTables
import TestSupport

// Mixed-size regions (munmap / mprotect semantics): holes, 2 MiB pages inside, straddling refused.
@Suite struct RegionTests {
    /// 4 KiB pages at (1,0,0,0) and (1,0,0,1), a 2 MiB page at (1,0,1,0), a 4 KiB page in slot 200.
    func populated() throws -> (SimulatedRAM, RecordingFrameSource, TestSpace) {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 0), to: FrameNumber(1), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 0, 1), to: FrameNumber(2), size: .size4KiB, flags: [.user], tableFrames: &source)
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [.user], tableFrames: &source)
        try space.map(page(200, 3, 4, 5), to: FrameNumber(3), size: .size4KiB, flags: [.user], tableFrames: &source)
        return (ram, source, space)
    }

    @Test func unmapRegionOverTheWholeUserRangeSkipsHoles() throws {
        var (_, source, space) = try populated()
        var released: [String] = []
        let bytes = try space.unmapRegion(
            startingAt: UserSpace.start, pageCount: UserSpace.byteCount / 4096, tableFrames: &source
        ) { page, frame, size in
            released.append("\(page.raw):\(frame.raw):\(size)")
        }
        #expect(
            released == [
                "\(page(1, 0, 0, 0).raw):1:size4KiB", "\(page(1, 0, 0, 1).raw):2:size4KiB",
                "\(page(1, 0, 1, 0).raw):512:size2MiB", "\(page(200, 3, 4, 5).raw):3:size4KiB",
            ])
        #expect(bytes.changedBytes == 3 * 4096 + 2 * MiB)
        bytes.discard(.addressSpaceNotLoaded)
        #expect(space.tableFrameCount == 1 && source.outstanding == [space.root] && space.mappedByteCount == 0)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func unmapRegionRefusesAStraddledHugePage() throws {
        var (_, source, space) = try populated()
        var calls = 0
        // Starts inside the 2 MiB page.
        #expect(throws: PageTableError.pageSizeMismatch) {
            _ = try space.unmapRegion(startingAt: page(1, 0, 1, 1), pageCount: 1024, tableFrames: &source) { _, _, _ in calls += 1
            }
        }
        // Ends inside it (the 4 KiB pages before it would otherwise go).
        #expect(throws: PageTableError.pageSizeMismatch) {
            _ = try space.unmapRegion(startingAt: page(1, 0, 0, 0), pageCount: 513, tableFrames: &source) { _, _, _ in calls += 1
            }
        }
        #expect(calls == 0 && space.mapped4KiBCount == 3 && space.mapped2MiBCount == 1)
        // Exactly [PD entry 0, PD entry 2): both 4 KiB pages and the huge page.
        _ = try space.unmapRegion(startingAt: page(1, 0, 0, 0), pageCount: 1024, tableFrames: &source) { _, _, _ in calls += 1 }
        #expect(calls == 3 && space.mapped4KiBCount == 1 && space.mapped2MiBCount == 0)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func protectRegionNeedsEveryByteMapped() throws {
        var (_, source, space) = try populated()
        #expect(throws: PageTableError.notMapped) {  // the hole at (1,0,0,2)
            _ = try space.protectRegion(startingAt: page(1, 0, 0, 0), pageCount: 3, flags: [.user, .noExecute])
        }
        #expect(throws: PageTableError.pageSizeMismatch) {
            _ = try space.protectRegion(startingAt: page(1, 0, 1, 0), pageCount: 511, flags: [.user])
        }
        #expect(throws: PageTableError.invalidFlags) {
            _ = try space.protectRegion(startingAt: page(1, 0, 0, 0), pageCount: 2, flags: [.user, .global])
        }
        #expect(space.translate(page(1, 0, 0, 0))?.flags == [.present, .user])
        _ = try space.protectRegion(startingAt: page(1, 0, 0, 0), pageCount: 2, flags: [.user, .noExecute])
        _ = try space.protectRegion(startingAt: page(1, 0, 1, 0), pageCount: 512, flags: [.writable])
        #expect(space.translate(page(1, 0, 0, 1))?.flags == [.present, .user, .noExecute])
        #expect(space.translate(page(1, 0, 1, 7))?.flags == [.present, .writable])
        #expect(space.translate(page(1, 0, 0, 2)) == nil)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func regionArgumentErrors() throws {
        var (_, source, space) = try populated()
        #expect(throws: PageTableError.rangeOverflow) {
            _ = try space.unmapRegion(
                startingAt: UserSpace.start, pageCount: UserSpace.byteCount / 4096 + 1, tableFrames: &source
            ) { _, _, _ in }
        }
        #expect(throws: PageTableError.misaligned) {
            _ = try space.protectRegion(startingAt: VirtualAddress(UserSpace.start.raw + 1), pageCount: 1, flags: [])
        }
        #expect(throws: PageTableError.outsideAddressSpace) {
            _ = try space.unmapRegion(startingAt: VirtualAddress(0), pageCount: 1, tableFrames: &source) { _, _, _ in }
        }
        #expect(
            try space.unmapRegion(startingAt: page(5, 0, 0, 0), pageCount: 0, tableFrames: &source) { _, _, _ in }.changedBytes
                == 0)
        #expect(space.mapped4KiBCount == 3 && space.checkInvariants(ledger: source) == nil)
    }
}

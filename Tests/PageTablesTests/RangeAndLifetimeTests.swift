import MemoryCore
import Testing
import TestSupport
@testable import PageTables

@Suite struct RangeTests {
    @Test func mapRangeAcrossTableBoundaries() throws {
        var (_, source, space) = try makeSpace()
        let start = page(1, 0, 0, 510)  // crosses into the next PT (next 2 MiB region)
        _ = try space.mapRange(startingAt: start, pageCount: 4, size: .size4KiB, flags: [.user], tableFrames: &source) {
            FrameNumber(100 + $0)
        }
        for index: UInt64 in 0 ..< 4 {
            #expect(space.translate(VirtualAddress(start.raw + index * 4096))?.frame == FrameNumber(100 + index))
        }
        #expect(space.tableFrameCount == 5 && space.mapped4KiBCount == 4)
        var released: [(VirtualAddress, FrameNumber)] = []
        _ = try space.unmapRange(startingAt: start, pageCount: 4, size: .size4KiB, tableFrames: &source) {
            released.append(($0, $1))
        }
        #expect(released.map(\.0) == (0 ..< 4).map { VirtualAddress(start.raw + $0 * 4096) })
        #expect(released.map(\.1) == (0 ..< 4).map { FrameNumber(100 + $0) })
        #expect(space.tableFrameCount == 1 && source.outstanding == [space.root])
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func mapRangeRefusesAnyOverlapUpFront() throws {
        var (_, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 3), to: FrameNumber(9), size: .size4KiB, flags: [], tableFrames: &source)
        var calls = 0
        #expect(throws: PageTableError.alreadyMapped) {
            _ = try space.mapRange(startingAt: page(1, 0, 0, 0), pageCount: 8, size: .size4KiB, flags: [], tableFrames: &source) {
                _ in
                calls += 1
                return FrameNumber(1)
            }
        }
        #expect(calls == 0 && space.mapped4KiBCount == 1 && space.checkInvariants(ledger: source) == nil)
    }

    @Test func mapRangeRollsBackOnABadFrameOrExhaustion() throws {
        var (ram, source, space) = try makeSpace()
        try space.map(page(1, 0, 0, 0), to: FrameNumber(9), size: .size4KiB, flags: [], tableFrames: &source)
        let rootBefore = (0 ..< 512).map { ram.rawEntry(space.root, $0) }
        // Page 600 of the run would need a frame >= 2^40: the 599 pages before are unmapped again.
        #expect(throws: PageTableError.frameOutOfRange) {
            _ = try space.mapRange(startingAt: page(2, 0, 0, 0), pageCount: 700, size: .size4KiB, flags: [], tableFrames: &source)
            {
                $0 == 600 ? FrameNumber(1 << 40) : FrameNumber($0)
            }
        }
        #expect(space.mapped4KiBCount == 1 && space.tableFrameCount == 4 && source.outstanding.count == 4)
        #expect((0 ..< 512).map { ram.rawEntry(space.root, $0) } == rootBefore)
        #expect(space.checkInvariants(ledger: source) == nil)
        // A misaligned frame for a 2 MiB page midway.
        #expect(throws: PageTableError.misaligned) {
            _ = try space.mapRange(startingAt: page(2, 0, 0, 0), pageCount: 3, size: .size2MiB, flags: [], tableFrames: &source) {
                $0 == 2 ? FrameNumber(1) : FrameNumber($0 * 512)
            }
        }
        #expect(space.mapped2MiBCount == 0 && space.tableFrameCount == 4 && space.checkInvariants(ledger: source) == nil)
        // Frames for 3 of the 4 PTs the run needs (plus its PDPT and PD).
        source.outstandingLimit = source.outstanding.count + 5
        #expect(throws: PageTableError.outOfTableFrames) {
            _ = try space.mapRange(
                startingAt: page(2, 0, 0, 0), pageCount: 4 * 512, size: .size4KiB, flags: [], tableFrames: &source
            ) { FrameNumber($0) }
        }
        #expect(space.mapped4KiBCount == 1 && space.tableFrameCount == 4 && source.outstanding.count == 4)
        #expect(source.badFrees.isEmpty && space.checkInvariants(ledger: source) == nil)
    }

    @Test func rangeArgumentErrors() throws {
        var (_, source, space) = try makeSpace()
        func mapError(_ start: VirtualAddress, _ count: UInt64, _ size: PageSize) -> PageTableError? {
            error {
                _ = try space.mapRange(startingAt: start, pageCount: count, size: size, flags: [], tableFrames: &source) { _ in
                    FrameNumber(0)
                }
            }
        }
        #expect(mapError(page(254, 511, 511, 511), 2, .size4KiB) == .rangeOverflow)  // runs into slot 255
        #expect(mapError(page(254, 511, 511, 511), 1, .size4KiB) == nil)  // ends exactly at UserSpace.end
        #expect(mapError(page(1, 0, 0, 0), UInt64.max, .size4KiB) == .rangeOverflow)  // count * size overflows
        #expect(mapError(page(1, 0, 0, 0), 1 << 52, .size4KiB) == .rangeOverflow)  // product fits, sum passes the end
        #expect(mapError(page(1, 0, 0, 0), 0, .size4KiB) == nil)  // empty run: nothing to do
        #expect(mapError(VirtualAddress(0x1000), 1, .size4KiB) == .outsideAddressSpace)
        #expect(mapError(VirtualAddress(0x0000_8000_0000_0000), 1, .size4KiB) == .nonCanonical)
        #expect(mapError(page(1, 0, 0, 1), 1, .size2MiB) == .misaligned)
        #expect(throws: PageTableError.frameOutOfRange) {
            _ = try space.mapContiguous(
                startingAt: page(1, 0, 0, 0), firstFrame: FrameNumber((1 << 40) - 2), pageCount: 3, size: .size4KiB, flags: [],
                tableFrames: &source)
        }
        #expect(throws: PageTableError.rangeOverflow) {
            _ = try space.unmapRange(startingAt: page(1, 0, 0, 0), pageCount: UInt64.max, size: .size2MiB, tableFrames: &source) {
                _, _ in
            }
        }
        #expect(space.mapped4KiBCount == 1 && space.checkInvariants(ledger: source) == nil)
    }

    @Test func unmapRangeIsAllOrNothing() throws {
        var (_, source, space) = try makeSpace()
        _ = try space.mapRange(startingAt: page(1, 0, 0, 0), pageCount: 3, size: .size4KiB, flags: [], tableFrames: &source) {
            FrameNumber($0)
        }
        try space.map(page(1, 0, 1, 0), to: FrameNumber(512), size: .size2MiB, flags: [], tableFrames: &source)
        var released = 0
        #expect(throws: PageTableError.notMapped) {
            _ = try space.unmapRange(startingAt: page(1, 0, 0, 0), pageCount: 4, size: .size4KiB, tableFrames: &source) { _, _ in
                released += 1
            }
        }
        #expect(throws: PageTableError.pageSizeMismatch) {
            _ = try space.unmapRange(startingAt: page(1, 0, 0, 0), pageCount: 2, size: .size2MiB, tableFrames: &source) { _, _ in
                released += 1
            }
        }
        #expect(released == 0 && space.mapped4KiBCount == 3 && space.mapped2MiBCount == 1)
        #expect(space.checkInvariants(ledger: source) == nil)
    }

    @Test func kernelIdentityMapWith2MiBPages() throws {
        var (_, source, space) = try makeSpace(kind: .kernel)
        // 4 GiB identity map: 2048 huge pages, 4 PDs + 1 PDPT + root.
        _ = try space.mapContiguous(
            startingAt: VirtualAddress(0), firstFrame: FrameNumber(0), pageCount: 2048, size: .size2MiB,
            flags: [.writable, .global], tableFrames: &source)
        #expect(space.tableFrameCount == 6 && space.mapped2MiBCount == 2048 && space.mappedByteCount == 4 * GiB)
        for address: UInt64 in [0, 0x1234_5678, 4 * GiB - 1] {
            #expect(space.translate(VirtualAddress(address))?.physical == PhysicalAddress(address))
        }
        #expect(space.translate(VirtualAddress(4 * GiB)) == nil)
        #expect(space.checkInvariants(ledger: source) == nil)
    }
}

@Suite struct SharingAndDestroyTests {
    /// A kernel PML4 with slot 0 (identity map, U/S set as a careless boot stub might) and slot 300.
    func kernelRoot(_ ram: SimulatedRAM, _ source: inout RecordingFrameSource) -> (FrameNumber, FrameNumber) {
        let root = source.allocateTableFrame()!
        let lowTable = source.allocateTableFrame()!
        ram.fill(root, byte: 0)
        ram.setRawEntry(root, 0, lowTable.startAddress.raw | 0b111)
        ram.setRawEntry(root, 7, lowTable.startAddress.raw | 0b011)  // would be a user slot: not copied
        ram.setRawEntry(root, 300, lowTable.startAddress.raw | 0b011)
        return (root, lowTable)
    }

    @Test func userSpaceCopiesKernelEntriesSupervisorOnly() throws {
        let ram = SimulatedRAM(frameCount: 64)
        var source = RecordingFrameSource(ram: ram)
        let (kernel, lowTable) = kernelRoot(ram, &source)
        var space = try TestSpace(
            kind: .user, memory: SimulatedMemoryAccess(ram: ram), tableFrames: &source, sharingKernelEntriesOf: kernel)
        #expect(ram.rawEntry(space.root, 0) == lowTable.startAddress.raw | 0b011)  // U/S stripped
        #expect(ram.rawEntry(space.root, 300) == lowTable.startAddress.raw | 0b011)
        #expect(ram.rawEntry(space.root, 7) == 0)
        #expect(space.tableFrameCount == 1)
        try space.map(page(1, 0, 0, 0), to: FrameNumber(5), size: .size4KiB, flags: [.user], tableFrames: &source)
        // The ledger still counts the kernel's two frames, so use a shared-source view.
        #expect(space.checkInvariants(ledger: SharedLedger(inner: source)) == nil)
        // A shared entry that became user-accessible is reported.
        ram.setRawEntry(space.root, 300, ram.rawEntry(space.root, 300) | 0b100)
        #expect(
            space.checkInvariants(ledger: SharedLedger(inner: source))
                == .sharedEntryUserAccessible(slot: 300, entry: PageTableEntry(rawValue: lowTable.startAddress.raw | 0b111)))
        ram.setRawEntry(space.root, 300, lowTable.startAddress.raw | 0b011)
        let freed = space.destroy(tableFrames: &source) { _, _, _ in }
        #expect(freed == 4)
        #expect(source.outstanding == [kernel, lowTable] && source.badFrees.isEmpty)
        #expect(ram.rawEntry(kernel, 0) == lowTable.startAddress.raw | 0b111)  // kernel's table untouched
    }

    @Test func destroyReturnsEveryTableAndReportsEveryLeaf() throws {
        var (_, source, space) = try makeSpace(frames: 512)
        var expected: [VirtualAddress: (FrameNumber, PageSize)] = [:]
        var generator = SeededGenerator(seed: 7)
        for _ in 0 ..< 300 {
            let size: PageSize = generator.next() % 4 == 0 ? .size2MiB : .size4KiB
            let slot = Int(generator.next() % 254) + 1
            let target = page(
                slot, Int(generator.next() % 3), Int(generator.next() % 3), size == .size4KiB ? Int(generator.next() % 512) : 0)
            let frame = FrameNumber((generator.next() % (1 << 30)) & ~(size.frameCount - 1))
            if (try? space.map(target, to: frame, size: size, flags: [.user], tableFrames: &source)) != nil {
                expected[target] = (frame, size)
            }
        }
        #expect(space.checkInvariants(ledger: source) == nil)
        let tables = space.tableFrameCount
        var reported: [VirtualAddress: (FrameNumber, PageSize)] = [:]
        var order: [VirtualAddress] = []
        let freed = space.destroy(tableFrames: &source) { page, frame, size in
            reported[page] = (frame, size)
            order.append(page)
        }
        #expect(freed == tables && source.freeCount == source.allocationCount)
        #expect(source.outstanding.isEmpty && source.badFrees.isEmpty)
        #expect(reported.count == expected.count && order == order.sorted())
        for (page, value) in expected {
            #expect(reported[page]?.0 == value.0 && reported[page]?.1 == value.1)
        }
    }
}

/// A ledger view for a source shared with other owners (the kernel): frames are checked, counts not.
struct SharedLedger: TableFrameLedger {
    let inner: RecordingFrameSource
    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool { inner.isOutstandingTableFrame(frame) }
    var outstandingTableFrameCount: Int? { nil }
}

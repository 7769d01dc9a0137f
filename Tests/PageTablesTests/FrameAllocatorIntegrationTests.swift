import MemoryCore
import PhysicalMemory
import Testing
@testable import PageTables
import TestSupport

/// The kernel's arrangement: table frames AND user frames come from the PhysicalMemory frame
/// allocator, through a thin adapter like this one (the adapter lives with the caller so that
/// PageTables never depends on the allocator's API).
struct AllocatorTableSource: TableFrameSource, TableFrameLedger {
    let allocator: FrameAllocator

    mutating func allocateTableFrame() -> FrameNumber? { try? allocator.allocate() }

    mutating func freeTableFrame(_ frame: FrameNumber) {
        do { try allocator.free(frame) } catch { Issue.record("table frame free failed: \(error)") }
    }

    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool { allocator.state(of: frame) == .allocatedRunStart }
    /// Shared with user frames and the kernel's own tables: no per-space count.
    var outstandingTableFrameCount: Int? { nil }
}

@Suite struct FrameAllocatorIntegrationTests {
    /// 2048 frames (8 MiB) of simulated RAM at a 2 MiB-aligned frame, all usable.
    final class Machine {
        let ram = SimulatedRAM(frameCount: 2048)
        let storage: UnsafeMutableRawPointer
        let allocator: FrameAllocator

        init() throws {
            var usable = UsableFrameRanges()
            _ = usable.append(ram.frames)
            let bytes = FrameAllocator.metadataByteCount(managing: ram.frames)
            storage = UnsafeMutableRawPointer.allocate(byteCount: Int(bytes), alignment: 8)
            allocator = try FrameAllocator(
                span: ram.frames, storage: storage, storageByteCount: bytes, usable: usable, reservations: ReservationList())
        }

        deinit { storage.deallocate() }
    }

    @Test func processLifetimeReturnsEveryFrame() throws {
        let machine = try Machine()
        let allocator = machine.allocator
        var tables = AllocatorTableSource(allocator: allocator)
        let initialFree = allocator.statistics.freeFrames
        // The kernel's PML4 with one supervisor entry in slot 0.
        let kernelRoot = try allocator.allocate()
        machine.ram.fill(kernelRoot, byte: 0)
        machine.ram.setRawEntry(kernelRoot, 0, (try allocator.allocate()).startAddress.raw | 0b011)
        let kernelFrames = initialFree - allocator.statistics.freeFrames

        var space = try TestSpace(
            kind: .user, memory: SimulatedMemoryAccess(ram: machine.ram), tableFrames: &tables,
            sharingKernelEntriesOf: kernelRoot)
        // brk: 64 fresh 4 KiB frames at the bottom of user space.
        _ = try space.mapRange(
            startingAt: UserSpace.start, pageCount: 64, size: .size4KiB, flags: [.user, .writable, .noExecute],
            tableFrames: &tables
        ) { _ in try! allocator.allocate() }
        // A 2 MiB page backed by an aligned run of 512 frames.
        let huge = try allocator.allocate(count: 512, alignment: 512)
        try space.map(
            VirtualAddress(UserSpace.start.raw + 4 * MiB), to: huge, size: .size2MiB, flags: [.user], tableFrames: &tables)
        #expect(space.checkInvariants(ledger: tables) == nil)
        // munmap of half the heap.
        _ = try space.unmapRegion(
            startingAt: VirtualAddress(UserSpace.start.raw + 32 * 4096), pageCount: 32, tableFrames: &tables
        ) { _, frame, _ in
            try! allocator.free(frame)
        }
        #expect(space.mapped4KiBCount == 32 && space.checkInvariants(ledger: tables) == nil)
        // Exit: every user frame and every table frame back to the allocator.
        space.destroy(tableFrames: &tables) { _, frame, size in
            if size == .size4KiB { try! allocator.free(frame) } else { try! allocator.free(runStartingAt: frame, count: 512) }
        }
        #expect(initialFree - allocator.statistics.freeFrames == kernelFrames)
        #expect(allocator.checkInvariants() == nil)
    }

    @Test func allocatorExhaustionLeavesTheSpaceUnchanged() throws {
        let machine = try Machine()
        let allocator = machine.allocator
        var tables = AllocatorTableSource(allocator: allocator)
        var space = try TestSpace(kind: .user, memory: SimulatedMemoryAccess(ram: machine.ram), tableFrames: &tables)
        try space.map(UserSpace.start, to: FrameNumber(7), size: .size4KiB, flags: [.user], tableFrames: &tables)
        // Leave exactly two free frames: a page in a new slot needs three tables.
        while allocator.statistics.freeFrames > 2 { _ = try allocator.allocate() }
        #expect(throws: PageTableError.outOfTableFrames) {
            try space.map(
                VirtualAddress(UserSpace.start.raw + 512 * GiB), to: FrameNumber(8), size: .size4KiB, flags: [.user],
                tableFrames: &tables)
        }
        #expect(allocator.statistics.freeFrames == 2 && space.tableFrameCount == 4)
        #expect(space.checkInvariants(ledger: tables) == nil && allocator.checkInvariants() == nil)
        // Two frames are enough for a page under the existing PDPT (new PD and PT).
        try space.map(
            VirtualAddress(UserSpace.start.raw + GiB), to: FrameNumber(8), size: .size4KiB, flags: [.user], tableFrames: &tables)
        #expect(allocator.statistics.freeFrames == 0 && space.checkInvariants(ledger: tables) == nil)
    }
}

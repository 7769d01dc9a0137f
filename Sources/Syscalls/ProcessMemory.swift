// One process's user memory: its address space, the table-frame source that serves it, the
// image/break/map-area bookkeeping and the counters memstat reports. The memory calls are methods
// on it (ProcessMemory+Calls.swift); the placement rules are in UserLayout.swift.
//
// Invariants (checkInvariants()):
//   - every present user leaf is 4 KiB and maps a frame the machine allocated for it, zeroed
//     before mapping;  pagesMapped == space.mapped4KiBCount;  pagesMapped <= peakPages
//   - imageStart <= breakStart <= breakCurrent <= breakStart + breakLimitBytes (once loaded), and
//     [breakStart, page-rounded breakCurrent) is mapped
//   - mapAreaStart <= mapNext <= mapAreaEnd + gap: [mapAreaStart, mapNext) holds every unhinted
//     mapping (addresses are never reused, so a stale pointer cannot alias new memory)
//   - destroy() returns every user frame and every table frame.
import MemoryCore
import PageTables

public struct ProcessMemory<Access: PhysicalMemoryAccess, Tables: TableFrameSource> {
    public var space: AddressSpace<Access>
    public var tableFrames: Tables
    /// Lowest page of the program image (its first segment).
    public internal(set) var imageStart = VirtualAddress(0)
    public internal(set) var breakStart = VirtualAddress(0)
    public internal(set) var breakCurrent = VirtualAddress(0)
    /// Where the next unhinted map goes.
    public internal(set) var mapNext = UserSpace.mapAreaStart
    public internal(set) var peakPages = 0
    public internal(set) var mapCalls = 0
    public internal(set) var unmapCalls = 0
    public internal(set) var brkCalls = 0
    public internal(set) var protectCalls = 0

    public init(space: AddressSpace<Access>, tableFrames: Tables) {
        self.space = space
        self.tableFrames = tableFrames
    }

    public var pagesMapped: Int { space.mapped4KiBCount }

    // MARK: - Mapping primitives (every map and unmap of user memory goes through these)

    /// Maps `pageCount` fresh zeroed frames at `start` with `flags`, all or nothing. Refusals:
    /// `.overlapsMapping`, `.outOfFrames`, `.outOfTableFrames`, or the range's own reason.
    public mutating func mapZeroed<Machine: SyscallMachine>(
        at start: VirtualAddress, pageCount: UInt64, flags: PageFlags, machine: inout Machine
    ) throws(RejectionReason) {
        do throws(PageTableError) {
            let flush = try space.mapRange(
                startingAt: start, pageCount: pageCount, size: .size4KiB, flags: flags, tableFrames: &tableFrames,
                allocateFrame: { index in machine.allocateUserFrame(for: VirtualAddress(start.raw + index * frameSize)) },
                releaseFrame: { page, frame in
                    machine.invalidate(page: page)  // rolled back: it was present for a moment
                    machine.freeUserFrame(frame)
                })
            flush.discard(.entriesWereNotPresent)
        } catch {
            throw Self.reason(error)
        }
        peakPages = max(peakPages, pagesMapped)
    }

    /// Unmaps every mapped page of [start, start + pageCount pages) (holes are skipped), invalidates
    /// them, then gives their frames back. In batches, so the frames wait for their flush in a
    /// small fixed buffer. Precondition: the range is valid user space (checked by the caller).
    public mutating func unmapAndFree<Machine: SyscallMachine>(
        from start: VirtualAddress, pageCount: UInt64, machine: inout Machine
    ) {
        var cursor = start
        var remaining = pageCount
        while remaining > 0 {
            let batch = min(remaining, UInt64(Self.batchPages))
            var frames = InlineArray<64, FrameNumber>(repeating: FrameNumber(0))
            var count = 0
            do throws(PageTableError) {
                let flush = try space.unmapRegion(startingAt: cursor, pageCount: batch, tableFrames: &tableFrames) { _, frame, _ in
                    frames[count] = frame  // user memory is 4 KiB pages only: at most `batch` leaves
                    count += 1
                }
                flush.flush(machine)
            } catch {
                preconditionFailure("unmapAndFree: a validated user range was refused")
            }
            for index in 0 ..< count { machine.freeUserFrame(frames[index]) }
            cursor = VirtualAddress(cursor.raw + batch * frameSize)
            remaining -= batch
        }
    }

    static var batchPages: Int { 64 }

    /// Sets the flags of every page of a range mapped by this process. The caller settles the flush
    /// (the loader discards it: the space is not loaded yet).
    public mutating func setFlags(
        from start: VirtualAddress, pageCount: UInt64, flags: PageFlags
    ) throws(PageTableError) -> TLBFlush {
        try space.protectRegion(startingAt: start, pageCount: pageCount, flags: flags)
    }

    /// True when every page of [start, start + pageCount pages) is mapped.
    public func isMapped(from start: VirtualAddress, pageCount: UInt64) -> Bool {
        for index in 0 ..< pageCount where space.translate(VirtualAddress(start.raw + index * frameSize)) == nil {
            return false
        }
        return true
    }

    static func reason(_ error: PageTableError) -> RejectionReason {
        switch error {
        case .alreadyMapped: .overlapsMapping
        case .outOfFrames: .outOfFrames
        case .outOfTableFrames: .outOfTableFrames
        case .outsideAddressSpace, .nonCanonical: .badRange(.outsideUserRange)
        case .rangeOverflow: .badRange(.wrapsAround)
        case .misaligned: .badRange(.misaligned)
        case .notMapped, .pageSizeMismatch, .frameOutOfRange, .invalidFlags: .notMapped
        }
    }

    // MARK: - The program image, the break and the stack (the loader's calls)

    /// Records the image's first page and its end (the break starts on the next page).
    public mutating func setImage(start: VirtualAddress, end: VirtualAddress) {
        imageStart = start
        breakStart = VirtualAddress(alignUp(end.raw, to: frameSize)!)
        breakCurrent = breakStart
    }

    /// Maps the zeroed read-write stack below `UserSpace.stackEnd` (its guard page stays unmapped).
    public mutating func mapStack<Machine: SyscallMachine>(machine: inout Machine) throws(RejectionReason) {
        try mapZeroed(at: UserSpace.stackStart, pageCount: UserSpace.stackPages, flags: Self.userData, machine: &machine)
    }

    /// Leaf flags of the break, the stack and loaded segments before their final protection.
    public static var userData: PageFlags { [.present, .user, .writable, .noExecute] }

    // MARK: - Teardown

    /// Frees every user frame and table frame (the root included). Returns (user frames, table
    /// frames) given back. The space must not be used afterwards.
    public mutating func destroy<Machine: SyscallMachine>(machine: inout Machine) -> (userFrames: Int, tableFrames: Int) {
        var userFrames = 0
        let freedTables = space.destroy(tableFrames: &tableFrames) { _, frame, size in
            let frames = size == .size4KiB ? 1 : 512
            for offset in 0 ..< frames { machine.freeUserFrame(frame.advanced(by: Int64(offset))) }
            userFrames += frames
        }
        return (userFrames, freedTables)
    }
}

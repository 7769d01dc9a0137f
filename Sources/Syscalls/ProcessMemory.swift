// One process's user memory: its regions (what is reserved), its address space (what is backed so
// far), the table-frame source that serves it, its commit charge, the image/break/map-area
// bookkeeping and the counters memstat reports. The memory calls are methods on it
// (ProcessMemory+Calls.swift), faults are resolved in ProcessMemory+Faults.swift, the placement
// rules are in UserLayout.swift.
//
// Demand paging: `map`, `brk` and the stack reserve regions and charge them; frames arrive on
// first touch (a fresh zeroed frame for a write, the shared read-only zero frame for a read,
// replaced on the first write). Image segments and `populate` maps are backed at once.
//
// Invariants (checkInvariants()):
//   - regions are sorted and disjoint; every present leaf is 4 KiB and lies in a region, with at
//     most the region's permissions; a leaf on the shared zero frame is never writable; a leaf of
//     an uncharged region is on the zero frame (resident <= committed, region by region);
//     zeroFrameLeaves counts the zero-frame leaves; pagesMapped (resident) <= peakPages
//   - chargedDataPages == the charged regions' pages; chargedTablePages == the tables those
//     regions could need (RegionMap.tableFramesNeeded) >= the tables present (the root aside);
//     their sum is this process's share of the system's committed total and is <= quotaPages
//   - imageStart <= breakStart <= breakCurrent <= breakStart + breakLimitBytes (once loaded), and
//     [breakStart, page-rounded breakCurrent) is a programBreak region
//   - mapAreaStart <= mapNext <= mapAreaEnd + gap
//   - object regions (ProcessMemory+Objects.swift): uncharged; every leaf maps the frame its object
//     page holds now (never the zero frame), writable only when the region is and the frame is
//     the object's alone (refcount 1); the process holds one reference on each object it maps
//   - destroy() returns every private frame, every table frame and every page of charge, and the
//     references on the objects it mapped (their frames are theirs: freed only when they die).
import MemoryCore
import MemoryObjects
import PageTables

public struct ProcessMemory<Access: PhysicalMemoryAccess, Tables: TableFrameSource> {
    public var space: AddressSpace<Access>
    public var tableFrames: Tables
    public internal(set) var regions = RegionMap()
    /// Lowest page of the program image (its first segment).
    public internal(set) var imageStart = VirtualAddress(0)
    public internal(set) var breakStart = VirtualAddress(0)
    public internal(set) var breakCurrent = VirtualAddress(0)
    /// Where the next unhinted map goes.
    public internal(set) var mapNext = UserSpace.mapAreaStart
    /// The most pages of charge (data + tables) this process may hold.
    public var quotaPages = SystemCommit.defaultQuotaPages
    public internal(set) var chargedDataPages: UInt64 = 0
    public internal(set) var chargedTablePages: UInt64 = 0
    /// Present leaves on the machine's shared zero frame.
    public internal(set) var zeroFrameLeaves = 0
    public internal(set) var peakPages = 0
    /// The high-water mark of committedPages (kept after destroy, for the kernel's end line).
    public internal(set) var peakCommittedPages: UInt64 = 0
    public internal(set) var mapCalls = 0
    public internal(set) var unmapCalls = 0
    public internal(set) var brkCalls = 0
    public internal(set) var protectCalls = 0
    /// Faults that mapped a fresh zeroed private frame (first writes, zero-frame replacements).
    public internal(set) var zeroFillFaults = 0
    /// Faults that mapped the shared zero frame (first reads).
    public internal(set) var zeroFrameFaults = 0
    /// Faults on a present page that were resolved (a write to the shared zero frame).
    public internal(set) var protectionFaults = 0
    /// The last charge refused (for the kernel's `vm oom` line).
    public internal(set) var lastCommitRefusal: CommitRefusal? = nil
    /// Object pages whose OTHER mappings (in every process, this one included) may hold a leaf on
    /// a frame the page no longer holds: a CoW copy made by a fault of this process. The machine
    /// takes them (takeStaleObjectPages) after every fault and call and reconciles those mappings.
    public internal(set) var staleObjectPages: [ObjectPages] = []

    public init(space: AddressSpace<Access>, tableFrames: Tables) {
        self.space = space
        self.tableFrames = tableFrames
    }

    /// Resident pages: present leaves on private frames (the zero frame is not counted).
    public var pagesMapped: Int { space.mapped4KiBCount - zeroFrameLeaves }
    /// This process's commit charge: data pages plus page-table pages.
    public var committedPages: UInt64 { chargedDataPages + chargedTablePages }

    // MARK: - Reserving (every region is added through here)

    /// Reserves [start, start + pageCount pages) as a region of `kind` with leaf `flags`, charges
    /// it (writable or populated memory: every page; read-only: only the tables), and with
    /// `populate` backs every page with a fresh zeroed frame. All or nothing. Refusals:
    /// `.overlapsMapping`, `.quotaExceeded`, `.commitLimit`; and, only when frames ran out behind
    /// the ledger's back (a kernel reserve overrun, a host double's withheld frames),
    /// `.outOfFrames` / `.outOfTableFrames`.
    public mutating func reserve<Machine: SyscallMachine>(
        at start: VirtualAddress, pageCount: UInt64, flags: PageFlags, kind: RegionKind, populate: Bool,
        machine: inout Machine
    ) throws(RejectionReason) {
        let end = VirtualAddress(start.raw + pageCount * frameSize)
        guard !regions.overlaps(from: start, to: end) else { throw .overlapsMapping }
        let isCharged = kind.object == nil && (populate || flags.contains(.writable))
        regions.insert(Region(start: start, pageCount: pageCount, flags: flags, kind: kind, isCharged: isCharged))
        do throws(RejectionReason) {
            try settleCharge(machine: &machine)
            if populate { try backWithZeroedFrames(at: start, pageCount: pageCount, flags: flags, machine: &machine) }
        } catch {
            regions.remove(from: start, to: end)
            try? settleCharge(machine: &machine)  // a release: cannot be refused
            throw error
        }
    }

    /// The loader's segments: reserved, charged and backed at once (the file's bytes go in next).
    public mutating func mapZeroed<Machine: SyscallMachine>(
        at start: VirtualAddress, pageCount: UInt64, flags: PageFlags, machine: inout Machine
    ) throws(RejectionReason) {
        try reserve(at: start, pageCount: pageCount, flags: flags, kind: .image, populate: true, machine: &machine)
    }

    /// Maps a fresh zeroed frame at every page of a charged, unbacked range, all or nothing. The
    /// pages and their tables were charged, so the frames exist unless something took them
    /// behind the ledger's back (then `.outOfFrames` / `.outOfTableFrames`, nothing mapped).
    mutating func backWithZeroedFrames<Machine: SyscallMachine>(
        at start: VirtualAddress, pageCount: UInt64, flags: PageFlags, machine: inout Machine
    ) throws(RejectionReason) {
        do throws(PageTableError) {
            let flush = try space.mapRange(
                startingAt: start, pageCount: pageCount, size: .size4KiB, flags: flags, tableFrames: &tableFrames,
                allocateFrame: { index in machine.allocateUserFrame(for: VirtualAddress(start.raw + index * frameSize)) },
                releaseFrame: { page, frame in
                    machine.invalidate(page: page)
                    machine.freeUserFrame(frame)
                })
            flush.discard(.entriesWereNotPresent)
        } catch {
            throw Self.reason(error)
        }
        peakPages = max(peakPages, pagesMapped)
    }

    /// Brings the process's charge in line with its regions: charges the growth (quota first,
    /// then the system's limit) or releases the shrink. On a refusal nothing is charged and the
    /// caller undoes its region change.
    mutating func settleCharge<Machine: SyscallMachine>(machine: inout Machine) throws(RejectionReason) {
        let data = regions.chargedPages, tables = regions.tableFramesNeeded
        let old = committedPages, new = data + tables
        if new > old {
            guard new <= quotaPages else {
                lastCommitRefusal = CommitRefusal(requestedPages: new - old, reason: .quotaExceeded)
                throw .quotaExceeded
            }
            guard machine.commit.charge(new - old) else {
                lastCommitRefusal = CommitRefusal(requestedPages: new - old, reason: .commitLimit)
                throw .commitLimit
            }
        } else if new < old {
            machine.commit.release(old - new)
        }
        (chargedDataPages, chargedTablePages) = (data, tables)
        peakCommittedPages = max(peakCommittedPages, new)
    }

    // MARK: - Unbacking

    /// Unmaps every backed page of [start, start + pageCount pages) (holes are skipped),
    /// invalidates them, then gives their private frames back (the zero frame stays). In batches,
    /// so the frames wait for their flush in a small fixed buffer. Regions are not changed.
    /// Precondition: the range is valid user space holding no object region (checked by the caller).
    public mutating func unmapAndFree<Machine: SyscallMachine>(
        from start: VirtualAddress, pageCount: UInt64, machine: inout Machine
    ) {
        unmapLeaves(from: start, pageCount: pageCount, freeingFrames: true, machine: &machine)
    }

    /// As unmapAndFree; with `freeingFrames` false no frame is given back (an object's frames, or
    /// private frames that move into an object).
    mutating func unmapLeaves<Machine: SyscallMachine>(
        from start: VirtualAddress, pageCount: UInt64, freeingFrames: Bool, machine: inout Machine
    ) {
        let zero = machine.sharedZeroFrame
        var cursor = start
        var remaining = pageCount
        while remaining > 0 {
            let batch = min(remaining, UInt64(Self.batchPages))
            var frames = InlineArray<64, FrameNumber>(repeating: FrameNumber(0))
            var count = 0, zeroLeaves = 0
            do throws(PageTableError) {
                let flush = try space.unmapRegion(startingAt: cursor, pageCount: batch, tableFrames: &tableFrames) {
                    _, frame, _ in
                    if frame == zero {
                        zeroLeaves += 1
                    } else {
                        frames[count] = frame  // user memory is 4 KiB pages only: at most `batch` leaves
                        count += 1
                    }
                }
                flush.flush(machine)
            } catch {
                preconditionFailure("unmapAndFree: a validated user range was refused")
            }
            zeroFrameLeaves -= zeroLeaves
            for index in 0 ..< count { machine.leafUnmapped(frames[index]) }
            if freeingFrames { for index in 0 ..< count { machine.freeUserFrame(frames[index]) } }
            cursor = VirtualAddress(cursor.raw + batch * frameSize)
            remaining -= batch
        }
    }

    static var batchPages: Int { 64 }

    /// Gives up [start, start + pageCount pages): its resident private frames are freed (after
    /// their flush; an object region's leaves are only dropped), it leaves the regions, its charge
    /// is released, and the references on objects it no longer maps (unmap, remap's shrink).
    /// Precondition: the range is valid user space (checked by the caller).
    mutating func unreserve<Machine: SyscallMachine>(from start: VirtualAddress, pageCount: UInt64, machine: inout Machine) {
        let end = VirtualAddress(start.raw + pageCount * frameSize)
        let pieces = regions.pieces(from: start, to: end)
        for piece in pieces {
            unmapLeaves(
                from: piece.start, pageCount: piece.pageCount, freeingFrames: piece.kind.object == nil, machine: &machine)
        }
        regions.remove(from: start, to: end)
        do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
            preconditionFailure("releasing a charge was refused")
        }
        releaseObjectsNoLongerMapped(pieces, machine: &machine)
    }

    /// Sets the protection of [start, start + pageCount pages): the regions' flags and every
    /// backed page's (a zero-frame page stays read-only: its first write still faults). The caller
    /// settles the flush (the loader discards it: the space is not loaded yet), and over object
    /// regions makes their leaves read-only again (protect: ProcessMemory+Objects.swift).
    public mutating func setFlags(
        from start: VirtualAddress, pageCount: UInt64, flags: PageFlags, zeroFrame: FrameNumber
    ) throws(PageTableError) -> TLBFlush {
        let end = VirtualAddress(start.raw + pageCount * frameSize)
        let flush = try space.reprotectLeaves(startingAt: start, pageCount: pageCount) { frame in
            frame == zeroFrame ? flags.subtracting(.writable) : flags
        }
        regions.update(from: start, to: end) { region in
            region.flags = flags
            region.isCharged = region.chargedWhen(writable: flags.contains(.writable))
        }
        return flush
    }

    /// True when every page of [start, start + pageCount pages) is reserved.
    public func isMapped(from start: VirtualAddress, pageCount: UInt64) -> Bool {
        regions.covers(from: start, to: VirtualAddress(start.raw + pageCount * frameSize))
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

    /// Reserves the read-write stack below `UserSpace.stackEnd`: all of it (UserSpace.stackBytes)
    /// is charged now and backed on demand, so it grows by faults up to its limit and a fault in
    /// it never fails; the guard gap below it stays unreserved.
    public mutating func mapStack<Machine: SyscallMachine>(machine: inout Machine) throws(RejectionReason) {
        try reserve(
            at: UserSpace.stackStart, pageCount: UserSpace.stackPages, flags: Self.userData, kind: .stack,
            populate: false, machine: &machine)
    }

    /// Leaf flags of the break, the stack and loaded segments before their final protection.
    public static var userData: PageFlags { [.present, .user, .writable, .noExecute] }

    // MARK: - Teardown

    /// Frees every user frame and table frame (the root included) and releases the whole charge.
    /// Returns (user frames, table frames) given back. The space must not be used afterwards.
    public mutating func destroy<Machine: SyscallMachine>(machine: inout Machine) -> (userFrames: Int, tableFrames: Int) {
        let tablesBefore = space.tableFrameCount
        unmapObjectRegions(machine: &machine)  // may free tables that held only object leaves: counted too
        let tablesFreedWithObjects = tablesBefore - space.tableFrameCount
        var userFrames = 0
        let zero = machine.sharedZeroFrame
        let freedTables = space.destroy(tableFrames: &tableFrames) { _, frame, size in
            precondition(size == .size4KiB, "a huge page in user memory")
            if frame == zero { return }
            machine.freeUserFrame(frame)
            userFrames += 1
        }
        zeroFrameLeaves = 0
        regions.removeAll()
        machine.commit.release(committedPages)
        (chargedDataPages, chargedTablePages) = (0, 0)
        return (userFrames, freedTables + tablesFreedWithObjects)
    }
}

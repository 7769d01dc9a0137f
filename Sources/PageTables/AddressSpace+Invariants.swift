// checkInvariants: one walk over every table of the owned slots, checking the equations listed in
// PageTables.swift, returning the first violation found (never trapping).
//
// "Referenced twice" needs a visited set, which must not allocate: each table visited gets a mark in
// bit 11 of its entry 0 (ignored by the CPU at every level, present or not); meeting a mark again
// is the violation (so a stale bit 11 in a table's entry 0 is reported as a second reference; bit 11
// anywhere else is an ordinary software-bit violation). A second walk clears every mark before
// returning, on every path. The audit therefore writes to the tables: run it only while no other
// CPU changes this address space.

import MemoryCore

/// The first broken invariant that `checkInvariants` found. `at` is the first virtual address that
/// the offending entry covers; `level` the level of the table that holds the entry.
public enum PageTableInvariantViolation: Equatable, Sendable {
    /// An intermediate entry (or the root) names a frame the source has not handed out.
    case tableNotFromSource(at: VirtualAddress, level: PageTableLevel, frame: FrameNumber)
    /// Two entries (or an entry and the root) name the same table frame.
    case tableReferencedTwice(at: VirtualAddress, level: PageTableLevel, frame: FrameNumber)
    /// A table other than the root has no present entry (it should have been freed).
    case emptyTable(at: VirtualAddress, level: PageTableLevel, frame: FrameNumber)
    /// The child count kept in an intermediate entry differs from the child table's present entries.
    case childCountMismatch(at: VirtualAddress, level: PageTableLevel, recorded: Int, counted: Int)
    /// A reserved or software bit is set, or a not-present entry is not all-zero.
    case reservedBitsSet(at: VirtualAddress, level: PageTableLevel, entry: PageTableEntry)
    /// An intermediate entry's flags differ from `kind.intermediateFlags` (accessed aside).
    case wrongIntermediateFlags(at: VirtualAddress, level: PageTableLevel, entry: PageTableEntry)
    /// PS set in a PDPTE (a 1 GiB page) inside the owned slots.
    case unsupportedHugePage(at: VirtualAddress, level: PageTableLevel, entry: PageTableEntry)
    /// A leaf with both U/S and G, or with U/S in a kernel address space.
    case forbiddenLeafFlags(at: VirtualAddress, level: PageTableLevel, entry: PageTableEntry)
    /// A PML4 entry outside the owned slots (shared with the kernel) has U/S set.
    case sharedEntryUserAccessible(slot: Int, entry: PageTableEntry)
    /// 1 + #intermediate entries != tableFrameCount.
    case tableCountMismatch(counted: Int, recorded: Int)
    /// The source's outstanding frames != tableFrameCount.
    case sourceCountMismatch(outstanding: Int, recorded: Int)
    /// #leaves of a size != the recorded count.
    case leafCountMismatch(size: PageSize, counted: Int, recorded: Int)
}

/// Counts gathered by the audit walk.
private struct AuditTally {
    var tables = 1
    var leaves4KiB = 0
    var leaves2MiB = 0
}

extension AddressSpace {
    /// Walks every table and returns the first violated invariant, or nil when all hold.
    /// `ledger` (usually the frame source) proves that table frames are outstanding.
    public func checkInvariants<Ledger: TableFrameLedger>(ledger: Ledger) -> PageTableInvariantViolation? {
        guard ledger.isOutstandingTableFrame(root) else {
            return .tableNotFromSource(at: kind.start, level: .pml4, frame: root)
        }
        setAuditMark(root)
        defer { clearAuditMarks(ledger: ledger) }
        var tally = AuditTally()
        if let violation = auditRoot(&tally, ledger: ledger) { return violation }
        return auditCounts(tally, ledger: ledger)
    }

    private func auditRoot<Ledger: TableFrameLedger>(_ tally: inout AuditTally, ledger: Ledger) -> PageTableInvariantViolation? {
        for slot in 0 ..< PageTableLevel.entryCount {
            let entry = PageTableEntry(
                rawValue: memory.readEntry(root, slot).rawValue & ~(slot == 0 ? PageTableEntry.auditMark : 0))
            let address = VirtualAddress.canonical(pml4: slot, pdpt: 0, pd: 0, pt: 0)
            if !kind.ownedSlots.contains(slot) {
                if entry.isPresent && entry.flags.contains(.user) { return .sharedEntryUserAccessible(slot: slot, entry: entry) }
                continue
            }
            guard entry.isPresent else {
                if entry.rawValue != 0 { return .reservedBitsSet(at: address, level: .pml4, entry: entry) }
                continue
            }
            if entry.isHugePage { return .reservedBitsSet(at: address, level: .pml4, entry: entry) }
            if let violation = auditLink(entry, at: address, level: .pml4, ledger: ledger) { return violation }
            tally.tables += 1
            if let violation = auditTable(entry, level: .pdpt, base: address, &tally, ledger: ledger) { return violation }
        }
        return nil
    }

    /// Checks every entry of the non-root table that `link` points to, recurses into its child
    /// tables, and compares its present entries with `link.childCount`.
    private func auditTable<Ledger: TableFrameLedger>(
        _ link: PageTableEntry, level: PageTableLevel, base: VirtualAddress, _ tally: inout AuditTally, ledger: Ledger
    ) -> PageTableInvariantViolation? {
        let table = link.frame
        var presentCount = 0
        for index in 0 ..< PageTableLevel.entryCount {
            let raw = memory.readEntry(table, index).rawValue
            let entry = PageTableEntry(rawValue: index == 0 ? raw & ~PageTableEntry.auditMark : raw)
            let address = VirtualAddress(base.raw + UInt64(index) * level.entryCoverage)
            guard entry.isPresent else {
                if entry.rawValue != 0 { return .reservedBitsSet(at: address, level: level, entry: entry) }
                continue
            }
            presentCount += 1
            if level == .pt || (level == .pd && entry.isHugePage) {
                if let violation = auditLeaf(entry, at: address, level: level, &tally) { return violation }
            } else if entry.isHugePage {
                return .unsupportedHugePage(at: address, level: level, entry: entry)
            } else {
                if let violation = auditLink(entry, at: address, level: level, ledger: ledger) { return violation }
                tally.tables += 1
                if let violation = auditTable(entry, level: level.child!, base: address, &tally, ledger: ledger) {
                    return violation
                }
            }
        }
        if presentCount == 0 { return .emptyTable(at: base, level: level, frame: table) }
        if presentCount != link.childCount {
            return .childCountMismatch(at: base, level: level, recorded: link.childCount, counted: presentCount)
        }
        return nil
    }

    /// An intermediate entry: exact flags, no software bits but the child count, a frame from the
    /// source seen only once (then marked as seen).
    private func auditLink<Ledger: TableFrameLedger>(
        _ entry: PageTableEntry, at address: VirtualAddress, level: PageTableLevel, ledger: Ledger
    ) -> PageTableInvariantViolation? {
        if entry.rawValue & PageTableEntry.softwareBits & ~PageTableEntry.childCountMask != 0 {
            return .reservedBitsSet(at: address, level: level, entry: entry)
        }
        if entry.flags.subtracting(.accessed) != kind.intermediateFlags {
            return .wrongIntermediateFlags(at: address, level: level, entry: entry)
        }
        let child = entry.frame
        guard ledger.isOutstandingTableFrame(child) else { return .tableNotFromSource(at: address, level: level, frame: child) }
        if memory.readEntry(child, 0).rawValue & PageTableEntry.auditMark != 0 {
            return .tableReferencedTwice(at: address, level: level, frame: child)
        }
        setAuditMark(child)
        return nil
    }

    /// A leaf: no reserved or software bits, allowed flag combination; counted.
    private func auditLeaf(
        _ entry: PageTableEntry, at address: VirtualAddress, level: PageTableLevel, _ tally: inout AuditTally
    ) -> PageTableInvariantViolation? {
        let reserved =
            PageTableEntry.softwareBits
            | (level == .pt ? PageTableEntry.patBit4KiB : PageTableEntry.patBit2MiB | PageTableEntry.reservedBits2MiB)
        if entry.rawValue & reserved != 0 { return .reservedBitsSet(at: address, level: level, entry: entry) }
        if entry.flags.contains(.user) && (kind != .user || entry.flags.contains(.global)) {
            return .forbiddenLeafFlags(at: address, level: level, entry: entry)
        }
        if level == .pt { tally.leaves4KiB += 1 } else { tally.leaves2MiB += 1 }
        return nil
    }

    private func auditCounts<Ledger: TableFrameLedger>(_ tally: AuditTally, ledger: Ledger) -> PageTableInvariantViolation? {
        if tally.tables != tableFrameCount { return .tableCountMismatch(counted: tally.tables, recorded: tableFrameCount) }
        if let outstanding = ledger.outstandingTableFrameCount, outstanding != tableFrameCount {
            return .sourceCountMismatch(outstanding: outstanding, recorded: tableFrameCount)
        }
        if tally.leaves4KiB != mapped4KiBCount {
            return .leafCountMismatch(size: .size4KiB, counted: tally.leaves4KiB, recorded: mapped4KiBCount)
        }
        if tally.leaves2MiB != mapped2MiBCount {
            return .leafCountMismatch(size: .size2MiB, counted: tally.leaves2MiB, recorded: mapped2MiBCount)
        }
        return nil
    }

    // MARK: Audit marks

    private func setAuditMark(_ table: FrameNumber) {
        let first = memory.readEntry(table, 0)
        memory.writeEntry(table, 0, PageTableEntry(rawValue: first.rawValue | PageTableEntry.auditMark))
    }

    /// Clears the mark of every table reachable through owned slots, descending only into frames the
    /// ledger has outstanding (so a corrupt entry never sends the walk to a wild address).
    private func clearAuditMarks<Ledger: TableFrameLedger>(ledger: Ledger) {
        clearAuditMark(root)
        for slot in kind.ownedSlots { clearAuditMarks(below: root, index: slot, level: .pml4, ledger: ledger) }
    }

    private func clearAuditMarks<Ledger: TableFrameLedger>(
        below table: FrameNumber, index: Int, level: PageTableLevel, ledger: Ledger
    ) {
        let entry = memory.readEntry(table, index)
        guard entry.isPresent, !entry.isHugePage, let child = level.child, ledger.isOutstandingTableFrame(entry.frame) else {
            return
        }
        clearAuditMark(entry.frame)
        guard child != .pt else { return }
        for childIndex in 0 ..< PageTableLevel.entryCount {
            clearAuditMarks(below: entry.frame, index: childIndex, level: child, ledger: ledger)
        }
    }

    private func clearAuditMark(_ table: FrameNumber) {
        let first = memory.readEntry(table, 0)
        memory.writeEntry(table, 0, PageTableEntry(rawValue: first.rawValue & ~PageTableEntry.auditMark))
    }
}

// Walking the hierarchy: argument validation, read-only probes, creating missing tables on the way
// down, and freeing tables that became empty on the way back up.

import MemoryCore

/// Where one leaf lives: the table frame, the entry index in it, and the entry's value.
struct LeafSlot {
    var table: FrameNumber
    var index: Int
    var entry: PageTableEntry
}

/// The tables met on the walk to one address, one per level, from the root down; nil below the
/// deepest existing table.
struct TablePath {
    private var tables: (FrameNumber?, FrameNumber?, FrameNumber?, FrameNumber?) = (nil, nil, nil, nil)

    subscript(level: PageTableLevel) -> FrameNumber? {
        get {
            switch level {
            case .pml4: tables.0
            case .pdpt: tables.1
            case .pd: tables.2
            case .pt: tables.3
            }
        }
        set {
            switch level {
            case .pml4: tables.0 = newValue
            case .pdpt: tables.1 = newValue
            case .pd: tables.2 = newValue
            case .pt: tables.3 = newValue
            }
        }
    }
}

extension AddressSpace {
    // MARK: Validation (never changes anything)

    /// The page is canonical, in an owned slot, and aligned to its size (checked in that order).
    func validatePage(_ page: VirtualAddress, _ size: PageSize) throws(PageTableError) {
        guard page.isCanonical else { throw .nonCanonical }
        guard kind.owns(page) else { throw .outsideAddressSpace }
        guard page.isAligned(to: size.bytes) else { throw .misaligned }
    }

    /// The frame fits in an entry and is aligned to the page size.
    func validateFrame(_ frame: FrameNumber, _ size: PageSize) throws(PageTableError) {
        guard frame.raw < PageTableEntry.frameLimit else { throw .frameOutOfRange }
        guard frame.isAligned(to: size.frameCount) else { throw .misaligned }
    }

    /// Only defined flags; `.user` only in a user space and never together with `.global`.
    func validateLeafFlags(_ flags: PageFlags) throws(PageTableError) {
        guard flags.isSubset(of: .defined) else { throw .invalidFlags }
        if flags.contains(.user) {
            guard kind == .user, !flags.contains(.global) else { throw .invalidFlags }
        }
    }

    /// [start, start + pageCount * size) is a valid run of pages inside the owned range; returns its
    /// end. Overflow-checked: the product and the sum are computed with overflow reporting.
    func validateRange(_ start: VirtualAddress, _ pageCount: UInt64, _ size: PageSize) throws(PageTableError) -> VirtualAddress {
        try validatePage(start, size)
        let (byteCount, overflow) = pageCount.multipliedReportingOverflow(by: size.bytes)
        guard !overflow, let end = start.adding(byteCount), end <= kind.end else { throw .rangeOverflow }
        return end
    }

    // MARK: Read-only walks

    /// Throws `.alreadyMapped` when any mapping overlaps the page: a leaf at the page's own level,
    /// a larger leaf above it, or (for a 2 MiB page) a page table below it, which by the
    /// no-empty-tables invariant holds at least one 4 KiB mapping.
    func checkVacant(_ page: VirtualAddress, _ size: PageSize) throws(PageTableError) {
        var table = root
        var level = PageTableLevel.pml4
        while true {
            let entry = memory.readEntry(table, level.index(of: page))
            if level == size.leafLevel {
                if entry.isPresent { throw .alreadyMapped }
                return
            }
            guard entry.isPresent else { return }
            if entry.isHugePage { throw .alreadyMapped }
            table = entry.frame
            level = level.child!
        }
    }

    /// The leaf that maps `page` with exactly `size`. Throws `.notMapped` when the walk meets a
    /// not-present entry, `.pageSizeMismatch` when it meets a leaf of the other size.
    func locateLeaf(_ page: VirtualAddress, _ size: PageSize) throws(PageTableError) -> LeafSlot {
        var table = root
        var level = PageTableLevel.pml4
        while true {
            let index = level.index(of: page)
            let entry = memory.readEntry(table, index)
            guard entry.isPresent else { throw .notMapped }
            let isLeaf = level == .pt || entry.isHugePage
            if level == size.leafLevel {
                guard isLeaf else { throw .pageSizeMismatch }
                return LeafSlot(table: table, index: index, entry: entry)
            }
            if isLeaf { throw .pageSizeMismatch }
            table = entry.frame
            level = level.child!
        }
    }

    /// The existing tables on the walk to `address`, stopping at a not-present entry or a leaf.
    func tablePath(to address: VirtualAddress) -> TablePath {
        var path = TablePath()
        path[.pml4] = root
        var table = root
        var level = PageTableLevel.pml4
        while let child = level.child {
            let entry = memory.readEntry(table, level.index(of: address))
            guard entry.isPresent, !entry.isHugePage else { break }
            table = entry.frame
            level = child
            path[level] = table
        }
        return path
    }

    // MARK: Changing the tables

    /// The tables on the walk to `page` down to `leafLevel`, creating each missing one on the way
    /// (zeroed, linked with `kind.intermediateFlags`, counted in its parent's child count).
    /// Precondition: `checkVacant` passed, so no leaf lies on the way. On `.outOfTableFrames` the
    /// tables created here are freed again before throwing.
    mutating func ensureTables<Source: TableFrameSource>(
        to page: VirtualAddress, leafLevel: PageTableLevel, tableFrames: inout Source
    ) throws(PageTableError) -> TablePath {
        var path = TablePath()
        path[.pml4] = root
        var level = PageTableLevel.pml4
        while level > leafLevel, let child = level.child {
            let table = path[level]!
            let index = level.index(of: page)
            let entry = memory.readEntry(table, index)
            if entry.isPresent {
                path[child] = entry.frame
            } else {
                guard let fresh = tableFrames.allocateTableFrame() else {
                    releaseEmptyTables(along: page, tableFrames: &tableFrames)
                    throw .outOfTableFrames
                }
                memory.zeroTable(fresh)
                memory.writeEntry(table, index, .table(fresh, flags: kind.intermediateFlags))
                tableFrameCount += 1
                addToChildCount(of: level, on: path, at: page, 1)
                path[child] = fresh
            }
            level = child
        }
        return path
    }

    /// Adds `delta` to the present-entry count of the table at `level` on `path`, kept in the entry
    /// of its parent that points to it. The root has no parent and keeps no count (it is never freed).
    func addToChildCount(of level: PageTableLevel, on path: TablePath, at address: VirtualAddress, _ delta: Int) {
        guard let parent = level.parent else { return }
        let index = parent.index(of: address)
        let link = memory.readEntry(path[parent]!, index)
        memory.writeEntry(path[parent]!, index, link.withChildCount(link.childCount + delta))
    }

    /// Frees, bottom-up, every table on the walk to `address` whose child count is zero: a PT, then
    /// its PD if that became empty, then the PDPT. The root is never freed. Every other table is
    /// non-empty before the caller's change, so at most the tables on this one walk can be empty.
    mutating func releaseEmptyTables<Source: TableFrameSource>(along address: VirtualAddress, tableFrames: inout Source) {
        releaseEmptyTables(on: tablePath(to: address), along: address, tableFrames: &tableFrames)
    }

    /// As `releaseEmptyTables(along:tableFrames:)`, with the walk already done (`path` = tablePath(to: address)).
    mutating func releaseEmptyTables<Source: TableFrameSource>(
        on path: TablePath, along address: VirtualAddress, tableFrames: inout Source
    ) {
        var level = PageTableLevel.pt
        while let parent = level.parent {
            if let table = path[level] {
                let index = parent.index(of: address)
                guard memory.readEntry(path[parent]!, index).childCount == 0 else { return }
                memory.writeEntry(path[parent]!, index, .empty)
                tableFrames.freeTableFrame(table)
                tableFrameCount -= 1
                addToChildCount(of: parent, on: path, at: address, -1)
            }
            level = parent
        }
    }
}

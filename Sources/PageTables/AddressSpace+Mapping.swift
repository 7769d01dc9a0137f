// Single-page operations: map, unmap, protect, translate.

import MemoryCore

extension AddressSpace {
    /// Maps the page at `page` (aligned to `size`) to the frames starting at `frame` with `flags`
    /// (`.present` is implied). Creates missing tables from `tableFrames`.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned` (page or
    /// frame), `.frameOutOfRange`, `.invalidFlags`, `.alreadyMapped`, `.outOfTableFrames`.
    public mutating func map<Source: TableFrameSource>(
        _ page: VirtualAddress, to frame: FrameNumber, size: PageSize, flags: PageFlags, tableFrames: inout Source
    ) throws(PageTableError) {
        try validatePage(page, size)
        try validateFrame(frame, size)
        try validateLeafFlags(flags)
        try checkVacant(page, size)
        try mapValidated(page, to: frame, size: size, flags: flags, tableFrames: &tableFrames)
    }

    /// `map` after every check but table allocation has passed.
    mutating func mapValidated<Source: TableFrameSource>(
        _ page: VirtualAddress, to frame: FrameNumber, size: PageSize, flags: PageFlags, tableFrames: inout Source
    ) throws(PageTableError) {
        let path = try ensureTables(to: page, leafLevel: size.leafLevel, tableFrames: &tableFrames)
        memory.writeEntry(path[size.leafLevel]!, size.leafLevel.index(of: page), .leaf(frame, size: size, flags: flags))
        addToChildCount(of: size.leafLevel, on: path, at: page, 1)
        countLeaf(size, 1)
    }

    /// Removes the mapping of `page` made with `size` and returns its (first) frame, which stays the
    /// caller's to free. Tables left empty are returned to `tableFrames`. The caller must then
    /// invalidate the page's TLB entry.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.notMapped`, `.pageSizeMismatch`.
    public mutating func unmap<Source: TableFrameSource>(
        _ page: VirtualAddress, size: PageSize, tableFrames: inout Source
    ) throws(PageTableError) -> FrameNumber {
        try validatePage(page, size)
        let leaf = try locateLeaf(page, size)
        removeLeaf(leaf, page: page, size: size, tableFrames: &tableFrames)
        return leaf.entry.frame
    }

    /// Clears a located leaf and frees the tables that became empty.
    mutating func removeLeaf<Source: TableFrameSource>(
        _ leaf: LeafSlot, page: VirtualAddress, size: PageSize, tableFrames: inout Source
    ) {
        memory.writeEntry(leaf.table, leaf.index, .empty)
        let path = tablePath(to: page)
        addToChildCount(of: size.leafLevel, on: path, at: page, -1)
        countLeaf(size, -1)
        releaseEmptyTables(on: path, along: page, tableFrames: &tableFrames)
    }

    /// Replaces the flags of the existing mapping of `page` (made with `size`) by `flags`, keeping its
    /// frame and the accessed/dirty bits the CPU set. Returns the previous flags. The caller must
    /// then invalidate the page's TLB entry.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.invalidFlags`, `.notMapped`, `.pageSizeMismatch`.
    @discardableResult
    public mutating func protect(_ page: VirtualAddress, size: PageSize, flags: PageFlags) throws(PageTableError) -> PageFlags {
        try validatePage(page, size)
        try validateLeafFlags(flags)
        let leaf = try locateLeaf(page, size)
        let kept = leaf.entry.flags.intersection(.hardwareManaged)
        memory.writeEntry(leaf.table, leaf.index, leaf.entry.replacingFlags(with: flags.union(kept).union(.present)))
        return leaf.entry.flags
    }

    /// The physical address, flags and page size that `address` translates to, or nil when it is not
    /// mapped, not canonical, or outside the owned slots (shared kernel entries are not walked).
    public func translate(_ address: VirtualAddress) -> Translation? {
        guard address.isCanonical, kind.owns(address) else { return nil }
        var table = root
        var level = PageTableLevel.pml4
        while true {
            let entry = memory.readEntry(table, level.index(of: address))
            guard entry.isPresent else { return nil }
            if level == .pt || (level == .pd && entry.isHugePage) {
                let size: PageSize = level == .pt ? .size4KiB : .size2MiB
                let offset = address.raw & (size.bytes - 1)
                return Translation(
                    physical: PhysicalAddress(entry.frame.startAddress.raw | offset),
                    frame: entry.frame, flags: entry.flags, size: size)
            }
            if entry.isHugePage { return nil }  // a 1 GiB leaf: never created in owned slots
            table = entry.frame
            level = level.child!
        }
    }
}

// Regions of mixed page sizes, as the memory syscalls see them: a run of 4 KiB-page-aligned
// virtual memory that may hold 4 KiB pages, 2 MiB pages and holes.
//
//   unmapRegion:   removes every leaf inside [start, end); holes are skipped (munmap semantics).
//   protectRegion: changes the flags of every leaf in [start, end); every byte must be mapped.
// Both refuse, changing nothing, a 2 MiB page that straddles start or end (`.pageSizeMismatch`):
// splitting a huge page is the caller's policy, not this module's.
//
// The sweep finds leaves with `nextLeaf`, which walks from the root and skips a whole absent table
// (512 GiB, 1 GiB or 2 MiB at a time), so a sparse region costs O(#leaves + #absent entries met).

import MemoryCore

/// A leaf found by a region sweep: where it lives and the page it maps.
struct RegionLeaf {
    var slot: LeafSlot
    var page: VirtualAddress
    var size: PageSize
}

extension AddressSpace {
    /// Removes every mapping inside the 4 KiB-aligned region [start, start + pageCount * 4 KiB),
    /// 4 KiB and 2 MiB alike, reporting each (page, first frame, size) in address order to
    /// `releaseLeaf`; unmapped holes are skipped. Frees tables left empty. Returns the flush owed
    /// for the region (its `changedBytes`: the bytes unmapped).
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow`, `.pageSizeMismatch` (a 2 MiB page straddles either end).
    public mutating func unmapRegion<Source: TableFrameSource>(
        startingAt start: VirtualAddress, pageCount: UInt64, tableFrames: inout Source,
        releaseLeaf: (VirtualAddress, FrameNumber, PageSize) -> Void
    ) throws(PageTableError) -> TLBFlush {
        let end = try validateRange(start, pageCount, .size4KiB)
        try checkNoHugePageStraddles(start, end)
        var unmapped: UInt64 = 0
        var cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {
            removeLeaf(leaf.slot, page: leaf.page, size: leaf.size, tableFrames: &tableFrames)
            releaseLeaf(leaf.page, leaf.slot.entry.frame, leaf.size)
            unmapped += leaf.size.bytes
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        return TLBFlush(start: start, pageCount: pageCount, pageSize: .size4KiB, changedBytes: unmapped)
    }

    /// Sets the flags of every page in the 4 KiB-aligned region [start, start + pageCount * 4 KiB)
    /// as `protect` does (accessed/dirty kept). Returns the flush owed for the region.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow`, `.invalidFlags`, `.notMapped` (a hole anywhere in the region),
    /// `.pageSizeMismatch` (a 2 MiB page straddles either end).
    public mutating func protectRegion(
        startingAt start: VirtualAddress, pageCount: UInt64, flags: PageFlags
    ) throws(PageTableError) -> TLBFlush {
        let end = try validateRange(start, pageCount, .size4KiB)
        try validateLeafFlags(flags)
        try checkNoHugePageStraddles(start, end)
        var cursor = start
        while cursor < end {  // every byte must be mapped
            guard let leaf = nextLeaf(from: cursor, before: end), leaf.page <= cursor else { throw .notMapped }
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {
            let kept = leaf.slot.entry.flags.intersection(.hardwareManaged)
            memory.writeEntry(
                leaf.slot.table, leaf.slot.index, leaf.slot.entry.replacingFlags(with: flags.union(kept).union(.present)))
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        return TLBFlush(
            start: start, pageCount: pageCount, pageSize: .size4KiB, changedBytes: pageCount * PageSize.size4KiB.bytes)
    }

    /// Throws `.pageSizeMismatch` when a 2 MiB leaf covers `start` without starting there, or covers
    /// the last byte before `end` without ending at `end`. Precondition: start < end, both validated.
    func checkNoHugePageStraddles(_ start: VirtualAddress, _ end: VirtualAddress) throws(PageTableError) {
        guard start < end else { return }
        if let first = nextLeaf(from: start, before: end), first.page < start { throw .pageSizeMismatch }
        let lastPage = VirtualAddress(end.raw - PageSize.size4KiB.bytes)
        if let last = nextLeaf(from: lastPage, before: end), last.page <= lastPage,
            last.page.raw + last.size.bytes > end.raw
        {
            throw .pageSizeMismatch
        }
    }

    /// The first leaf that maps any byte of [address, end), in address order (its page may start
    /// before `address` when a 2 MiB leaf covers it), or nil. Absent tables are skipped whole.
    /// Precondition: address and end lie in the owned range, address 4 KiB-aligned.
    func nextLeaf(from address: VirtualAddress, before end: VirtualAddress) -> RegionLeaf? {
        var cursor = address
        search: while cursor < end {
            var table = root
            var level = PageTableLevel.pml4
            while true {
                let index = level.index(of: cursor)
                let entry = memory.readEntry(table, index)
                let isLeaf = entry.isPresent && (level == .pt || (level == .pd && entry.isHugePage))
                if isLeaf {
                    let size: PageSize = level == .pt ? .size4KiB : .size2MiB
                    let page = VirtualAddress(alignDown(cursor.raw, to: size.bytes))
                    return RegionLeaf(slot: LeafSlot(table: table, index: index, entry: entry), page: page, size: size)
                }
                if !entry.isPresent || entry.isHugePage {  // a hole (or a 1 GiB page: never ours): skip it
                    cursor = VirtualAddress(alignDown(cursor.raw, to: level.entryCoverage) + level.entryCoverage)
                    continue search
                }
                table = entry.frame
                level = level.child!
            }
        }
        return nil
    }
}

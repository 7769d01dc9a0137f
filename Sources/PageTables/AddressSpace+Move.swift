// Moving a run of 4 KiB mappings to another virtual address without touching the bytes: the
// page-table entries move (frame, flags, accessed/dirty bits and all), the frames stay where they
// are. This is what mremap does for a growing buffer instead of copying it (the `remap` call).
//
//   moveRange: the source run may be sparse (demand paging): each PRESENT 4 KiB entry moves to
//              the same offset in the destination, a not-present one stays not present there;
//              an entry on a shared frame (the zero frame) moves as it is, a read-only mapping of
//              that frame. The destination run holds no mapping and does not overlap the source.
//              All or nothing.
//
// Two phases keep it all-or-nothing: first every present entry is written at its destination
// (creating tables; the source is untouched, so running out of table frames undoes only the
// destination), then every source entry is cleared (cannot fail; tables left empty are freed).
// Between the phases a frame is mapped twice; nothing else runs then. Only source translations
// were present before, so the returned flush names the source pages from the first moved entry
// to the last (holes between them included); the destination entries were not present (x86
// caches no not-present translation).

import MemoryCore

extension AddressSpace {
    /// Moves every present 4 KiB mapping of [source, source + pageCount pages) to the same offset
    /// in [destination, destination + pageCount pages), entries unchanged; holes stay holes.
    /// Returns the flush owed for the moved source pages (the caller invalidates them before the
    /// old addresses may be reused); its `changedBytes` counts the entries moved.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow` (either run), `.alreadyMapped` (the runs overlap, or a destination page is
    /// mapped), `.pageSizeMismatch` (a 2 MiB page in the source run), `.outOfTableFrames` (after
    /// undoing the destination entries written).
    public mutating func moveRange<Source: TableFrameSource>(
        from source: VirtualAddress, to destination: VirtualAddress, pageCount: UInt64, tableFrames: inout Source
    ) throws(PageTableError) -> TLBFlush {
        let sourceEnd = try validateRange(source, pageCount, .size4KiB)
        let destinationEnd = try validateRange(destination, pageCount, .size4KiB)
        guard sourceEnd <= destination || destinationEnd <= source else { throw .alreadyMapped }
        if nextLeaf(from: destination, before: destinationEnd) != nil { throw .alreadyMapped }
        var cursor = source
        while let leaf = nextLeaf(from: cursor, before: sourceEnd) {
            guard leaf.size == .size4KiB else { throw .pageSizeMismatch }
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        // Phase 1: write every present entry at its destination.
        var first: VirtualAddress? = nil, last = source, moved: UInt64 = 0
        cursor = source
        while let leaf = nextLeaf(from: cursor, before: sourceEnd) {
            let target = VirtualAddress(destination.raw + (leaf.page.raw - source.raw))
            do throws(PageTableError) {
                let path = try ensureTables(to: target, leafLevel: .pt, tableFrames: &tableFrames)
                memory.writeEntry(path[.pt]!, PageTableLevel.pt.index(of: target), leaf.slot.entry)
                addToChildCount(of: .pt, on: path, at: target, 1)
                countLeaf(.size4KiB, 1)
            } catch {
                removeLeaves(from: destination, before: target, tableFrames: &tableFrames)
                throw error
            }
            first = first ?? leaf.page
            last = leaf.page
            moved += 1
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        // Phase 2: clear the source entries (the runs are disjoint: every leaf left in the source
        // run is one phase 1 copied; removal cannot fail).
        removeLeaves(from: source, before: sourceEnd, tableFrames: &tableFrames)
        guard let first else {
            return TLBFlush(start: source, pageCount: 0, pageSize: .size4KiB, changedBytes: 0)
        }
        let spanned = (last.raw - first.raw) / PageSize.size4KiB.bytes + 1
        return TLBFlush(start: first, pageCount: spanned, pageSize: .size4KiB, changedBytes: moved * PageSize.size4KiB.bytes)
    }

    /// Clears every 4 KiB leaf in [start, end) (frames untouched: they stay mapped elsewhere or
    /// are the caller's) and frees the tables that became empty.
    mutating func removeLeaves<Source: TableFrameSource>(
        from start: VirtualAddress, before end: VirtualAddress,
        tableFrames: inout Source
    ) {
        var cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {
            removeLeaf(leaf.slot, page: leaf.page, size: leaf.size, tableFrames: &tableFrames)
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
    }
}

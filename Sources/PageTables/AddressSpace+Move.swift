// Moving a run of 4 KiB mappings to another virtual address without touching the bytes: the
// page-table entries move (frame, flags, accessed/dirty bits and all), the frames stay where they
// are. This is what mremap does for a growing buffer instead of copying it (the `remap` call).
//
//   moveRange: every page of the source run mapped with 4 KiB pages, every page of the
//              destination run unmapped (so the two runs are disjoint); all or nothing.
//
// Two phases keep it all-or-nothing: first every entry is written at its destination (creating
// tables; the source is untouched, so running out of table frames undoes only the destination),
// then every source entry is cleared (cannot fail; tables left empty are freed). Between the
// phases a frame is mapped twice; nothing else runs then. Only the source translations were
// present before, so the returned flush names the source run; the destination entries were not
// present (x86 caches no not-present translation).

import MemoryCore

extension AddressSpace {
    /// Moves the mappings of the 4 KiB pages [source, source + pageCount pages) to
    /// [destination, destination + pageCount pages), entries unchanged. Returns the flush owed
    /// for the source run (the caller invalidates it before the old addresses may be reused).
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow` (either run), `.notMapped` (a source page is not mapped),
    /// `.pageSizeMismatch` (a source page lies in a 2 MiB page), `.alreadyMapped` (a destination
    /// page is mapped), `.outOfTableFrames` (after undoing the destination entries written).
    public mutating func moveRange<Source: TableFrameSource>(
        from source: VirtualAddress, to destination: VirtualAddress, pageCount: UInt64, tableFrames: inout Source
    ) throws(PageTableError) -> TLBFlush {
        _ = try validateRange(source, pageCount, .size4KiB)
        let destinationEnd = try validateRange(destination, pageCount, .size4KiB)
        if nextLeaf(from: destination, before: destinationEnd) != nil { throw .alreadyMapped }
        for index in 0 ..< pageCount { _ = try locateLeaf(page(index, of: source, .size4KiB), .size4KiB) }
        // Phase 1: write every entry at its destination.
        for index in 0 ..< pageCount {
            let entry = try! locateLeaf(page(index, of: source, .size4KiB), .size4KiB).entry
            let target = page(index, of: destination, .size4KiB)
            do throws(PageTableError) {
                let path = try ensureTables(to: target, leafLevel: .pt, tableFrames: &tableFrames)
                memory.writeEntry(path[.pt]!, PageTableLevel.pt.index(of: target), entry)
                addToChildCount(of: .pt, on: path, at: target, 1)
                countLeaf(.size4KiB, 1)
            } catch {
                undoMovedEntries(count: index, destination: destination, tableFrames: &tableFrames)
                throw error
            }
        }
        // Phase 2: clear the source entries (every one was located above; removal cannot fail).
        for index in 0 ..< pageCount {
            let old = page(index, of: source, .size4KiB)
            guard let leaf = try? locateLeaf(old, .size4KiB) else { preconditionFailure("moveRange: a source page vanished") }
            removeLeaf(leaf, page: old, size: .size4KiB, tableFrames: &tableFrames)
        }
        return TLBFlush(start: source, pageCount: pageCount, pageSize: .size4KiB, changedBytes: pageCount * PageSize.size4KiB.bytes)
    }

    /// Clears the first `count` destination entries phase 1 wrote (their frames stay mapped at
    /// the source) and frees the tables that became empty.
    mutating func undoMovedEntries<Source: TableFrameSource>(count: UInt64, destination: VirtualAddress, tableFrames: inout Source) {
        for index in 0 ..< count {
            let target = page(index, of: destination, .size4KiB)
            guard let leaf = try? locateLeaf(target, .size4KiB) else { preconditionFailure("moveRange: lost an entry it wrote") }
            removeLeaf(leaf, page: target, size: .size4KiB, tableFrames: &tableFrames)
        }
    }

    /// The leaf flags shared by every page of [start, start + pageCount pages) (accessed and dirty
    /// left out), or nil when a page is not mapped with 4 KiB or two pages differ. A run with one
    /// protection is what `remap` may grow: the new pages get these flags.
    public func uniformLeafFlags(startingAt start: VirtualAddress, pageCount: UInt64) -> PageFlags? {
        var shared: PageFlags?
        for index in 0 ..< pageCount {
            guard let leaf = try? locateLeaf(page(index, of: start, .size4KiB), .size4KiB) else { return nil }
            let flags = leaf.entry.flags.subtracting(.hardwareManaged)
            if let shared, shared != flags { return nil }
            shared = flags
        }
        return shared
    }
}

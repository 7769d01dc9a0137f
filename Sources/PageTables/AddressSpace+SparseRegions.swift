// Regions that may be partly populated (demand paging): the sweeps here skip holes, where
// protectRegion refuses them. Used by the memory calls over reserved ranges (Syscalls' regions):
//
//   leaves(in:)         reports every present leaf of a region (page, frame, flags), in order;
//   reprotectLeaves     rewrites the flags of every present 4 KiB leaf, the new flags chosen per
//                       leaf by the caller (so a leaf on a shared frame can stay read-only);
//   replaceLeafFrame    points one present 4 KiB leaf at another frame with new flags (a
//                       copy-on-write or zero-frame upgrade).
// Each change returns the TLBFlush it owes.

import MemoryCore

extension AddressSpace {
    /// Calls `body(page, frame, flags)` for every present leaf inside the 4 KiB-aligned region
    /// [start, start + pageCount * 4 KiB), in address order; absent tables are skipped whole, so a
    /// sparse region costs O(#leaves + #absent entries met). Nothing is changed.
    public func leaves(
        startingAt start: VirtualAddress, pageCount: UInt64, _ body: (VirtualAddress, FrameNumber, PageFlags) -> Void
    ) throws(PageTableError) {
        let end = try validateRange(start, pageCount, .size4KiB)
        var cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {
            body(leaf.page, leaf.slot.entry.frame, leaf.slot.entry.flags)
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
    }

    /// Sets the flags of every present leaf in the region to `newFlags(frame)` (accessed/dirty
    /// kept, `.present` implied); holes are skipped. Returns the flush owed for the region.
    ///
    /// Throws, changing nothing: the range's own errors, `.pageSizeMismatch` (a 2 MiB page in the
    /// region: demand-paged regions are 4 KiB only), `.invalidFlags` (checked per leaf before any
    /// change).
    public mutating func reprotectLeaves(
        startingAt start: VirtualAddress, pageCount: UInt64, _ newFlags: (FrameNumber) -> PageFlags
    ) throws(PageTableError) -> TLBFlush {
        let end = try validateRange(start, pageCount, .size4KiB)
        var cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {  // validate every leaf first
            guard leaf.size == .size4KiB else { throw .pageSizeMismatch }
            try validateLeafFlags(newFlags(leaf.slot.entry.frame))
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        cursor = start
        while let leaf = nextLeaf(from: cursor, before: end) {
            let kept = leaf.slot.entry.flags.intersection(.hardwareManaged)
            let flags = newFlags(leaf.slot.entry.frame).union(kept).union(.present)
            memory.writeEntry(leaf.slot.table, leaf.slot.index, leaf.slot.entry.replacingFlags(with: flags))
            cursor = VirtualAddress(leaf.page.raw + leaf.size.bytes)
        }
        return TLBFlush(
            start: start, pageCount: pageCount, pageSize: .size4KiB, changedBytes: pageCount * PageSize.size4KiB.bytes)
    }

    /// Points the present 4 KiB leaf of `page` at `frame` with `flags` (`.present` implied). Its
    /// previous frame (what `translate` said) stays the caller's. The flush owed names the page:
    /// the old translation may be cached.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.frameOutOfRange`, `.invalidFlags`, `.notMapped`, `.pageSizeMismatch`.
    public mutating func replaceLeafFrame(
        _ page: VirtualAddress, with frame: FrameNumber, flags: PageFlags
    ) throws(PageTableError) -> TLBFlush {
        try validatePage(page, .size4KiB)
        try validateFrame(frame, .size4KiB)
        try validateLeafFlags(flags)
        let leaf = try locateLeaf(page, .size4KiB)
        memory.writeEntry(leaf.table, leaf.index, .leaf(frame, size: .size4KiB, flags: flags))
        return TLBFlush(start: page, pageCount: 1, pageSize: .size4KiB, changedBytes: PageSize.size4KiB.bytes)
    }
}

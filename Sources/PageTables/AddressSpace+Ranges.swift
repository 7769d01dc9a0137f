// Runs of pages, all-or-nothing: either every page of the run is mapped (unmapped), or the tables
// are left exactly as they were.
//
// Map: validate the whole run and sweep it for conflicts first (read-only), then map page by page;
// the only failures left are a bad frame from the caller or table exhaustion, and either one unmaps
// the pages already mapped (freeing the tables they created) before throwing.
// Unmap: locate every leaf first (read-only), then remove them all; removal cannot fail.

import MemoryCore

extension AddressSpace {
    /// Maps `pageCount` pages of `size` starting at `start`; page i goes to `frameForPage(i)`, which
    /// is called once per page in order. Frames produced before a failure stay the caller's.
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow`, `.invalidFlags`, `.alreadyMapped` (any page of the run), and, after
    /// rolling back, `.frameOutOfRange` / `.misaligned` for a bad frame, or `.outOfTableFrames`.
    /// Every entry written was not present, so the returned flush may be discarded with
    /// `.entriesWereNotPresent`.
    public mutating func mapRange<Source: TableFrameSource>(
        startingAt start: VirtualAddress, pageCount: UInt64, size: PageSize, flags: PageFlags,
        tableFrames: inout Source, frameForPage: (UInt64) -> FrameNumber
    ) throws(PageTableError) -> TLBFlush {
        try mapRange(
            startingAt: start, pageCount: pageCount, size: size, flags: flags, tableFrames: &tableFrames,
            allocateFrame: { index in frameForPage(index) }, releaseFrame: { _, _ in })
    }

    /// As `mapRange(frameForPage:)`, for frames taken from an allocator: `allocateFrame(i)` gives
    /// page i's frame or nil when none is left (`.outOfFrames`). On any failure after validation the
    /// pages mapped so far are unmapped and every frame `allocateFrame` produced is handed to
    /// `releaseFrame` with its page (a frame refused as bad first, then the mapped ones in page
    /// order), so the caller ends with nothing mapped and nothing held. A rolled-back page was
    /// present for a moment: the caller invalidates it before reusing the frame.
    public mutating func mapRange<Source: TableFrameSource>(
        startingAt start: VirtualAddress, pageCount: UInt64, size: PageSize, flags: PageFlags,
        tableFrames: inout Source, allocateFrame: (UInt64) -> FrameNumber?, releaseFrame: (VirtualAddress, FrameNumber) -> Void
    ) throws(PageTableError) -> TLBFlush {
        let end = try validateRange(start, pageCount, size)
        try validateLeafFlags(flags)
        // Any leaf touching the run is a conflict (for 2 MiB pages this includes a 4 KiB page in a
        // PT below): one sweep that skips absent tables whole, not one probe per page.
        if nextLeaf(from: start, before: end) != nil { throw .alreadyMapped }
        for index in 0 ..< pageCount {
            let page = page(index, of: start, size)
            guard let frame = allocateFrame(index) else {
                rollBack(mappedPages: index, startingAt: start, size: size, tableFrames: &tableFrames, releaseFrame: releaseFrame)
                throw .outOfFrames
            }
            do throws(PageTableError) {
                try validateFrame(frame, size)
                try mapValidated(page, to: frame, size: size, flags: flags, tableFrames: &tableFrames)
            } catch {
                releaseFrame(page, frame)
                rollBack(mappedPages: index, startingAt: start, size: size, tableFrames: &tableFrames, releaseFrame: releaseFrame)
                throw error
            }
        }
        return TLBFlush(start: start, pageCount: pageCount, pageSize: size, changedBytes: pageCount * size.bytes)
    }

    /// Maps `pageCount` pages of `size` at `start` to physically contiguous frames from `firstFrame`
    /// (e.g. extending the kernel's identity map with 2 MiB pages). Errors as `mapRange`;
    /// `.frameOutOfRange` also when the frames run past the 52-bit physical limit (checked first).
    public mutating func mapContiguous<Source: TableFrameSource>(
        startingAt start: VirtualAddress, firstFrame: FrameNumber, pageCount: UInt64, size: PageSize,
        flags: PageFlags, tableFrames: inout Source
    ) throws(PageTableError) -> TLBFlush {
        let (frameCount, overflow) = pageCount.multipliedReportingOverflow(by: size.frameCount)
        guard !overflow, firstFrame.raw <= PageTableEntry.frameLimit,
            frameCount <= PageTableEntry.frameLimit - firstFrame.raw
        else { throw .frameOutOfRange }
        return try mapRange(startingAt: start, pageCount: pageCount, size: size, flags: flags, tableFrames: &tableFrames) {
            index in
            FrameNumber(firstFrame.raw + index * size.frameCount)
        }
    }

    /// Unmaps `pageCount` pages of `size` starting at `start`, reporting each page and its frame to
    /// `releaseFrame` (in address order) so the caller can free it; frees tables left empty. The
    /// returned flush names the run: the caller must invalidate it (before the frames are reused).
    ///
    /// Throws, changing nothing: `.nonCanonical`, `.outsideAddressSpace`, `.misaligned`,
    /// `.rangeOverflow`, and `.notMapped` / `.pageSizeMismatch` if any page of the run is not mapped
    /// with exactly `size`.
    public mutating func unmapRange<Source: TableFrameSource>(
        startingAt start: VirtualAddress, pageCount: UInt64, size: PageSize, tableFrames: inout Source,
        releaseFrame: (VirtualAddress, FrameNumber) -> Void
    ) throws(PageTableError) -> TLBFlush {
        _ = try validateRange(start, pageCount, size)
        for index in 0 ..< pageCount { _ = try locateLeaf(page(index, of: start, size), size) }
        for index in 0 ..< pageCount {
            let page = page(index, of: start, size)
            // Cannot fail: every leaf was located above and removing one never touches another.
            guard let leaf = try? locateLeaf(page, size) else { preconditionFailure("leaf vanished during unmapRange") }
            removeLeaf(leaf, page: page, size: size, tableFrames: &tableFrames)
            releaseFrame(page, leaf.entry.frame)
        }
        return TLBFlush(start: start, pageCount: pageCount, pageSize: size, changedBytes: pageCount * size.bytes)
    }

    /// Page `index` of the run at `start`. Precondition: the run passed `validateRange`.
    func page(_ index: UInt64, of start: VirtualAddress, _ size: PageSize) -> VirtualAddress {
        VirtualAddress(start.raw + index * size.bytes)
    }

    /// Unmaps the first `mappedPages` pages of a run this call mapped, freeing their new tables and
    /// handing each page's frame to `releaseFrame`.
    mutating func rollBack<Source: TableFrameSource>(
        mappedPages: UInt64, startingAt start: VirtualAddress, size: PageSize, tableFrames: inout Source,
        releaseFrame: (VirtualAddress, FrameNumber) -> Void
    ) {
        for index in 0 ..< mappedPages {
            let page = page(index, of: start, size)
            guard let leaf = try? locateLeaf(page, size) else { preconditionFailure("rollback lost a page it mapped") }
            removeLeaf(leaf, page: page, size: size, tableFrames: &tableFrames)
            releaseFrame(page, leaf.entry.frame)
        }
    }
}

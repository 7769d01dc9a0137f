// Finding room: where in a range of the address space is nothing mapped? The page tables are the
// record of what a process has mapped, so the search for a free range walks them (skipping absent
// tables whole) instead of trusting a cursor that a hinted mapping can block.

import MemoryCore

extension AddressSpace {
    /// The lowest page in [start, end) that holds a mapping (a 2 MiB leaf reports the first 4 KiB
    /// page of it inside the range), or nil when the range is wholly unmapped.
    /// Precondition: start and end 4 KiB-aligned, inside the owned range, start <= end.
    public func firstMappedPage(from start: VirtualAddress, before end: VirtualAddress) -> VirtualAddress? {
        guard start < end, let leaf = nextLeaf(from: start, before: end) else { return nil }
        return max(leaf.page, start)
    }

    /// The lowest `start` in [from, end) such that [start - gapBefore, start + pageCount + gapAfter
    /// pages) is wholly unmapped and inside [lower, end) (the gaps are clipped at `lower`), or nil.
    /// Each step skips past one mapped page, so a search costs one walk per mapped page it meets.
    public func firstFreeRange(
        pageCount: UInt64, from: VirtualAddress, lower: VirtualAddress, end: VirtualAddress,
        gapPages: UInt64
    ) -> VirtualAddress? {
        guard pageCount > 0 else { return nil }
        var candidate = from
        while true {
            let guardStart = candidate.raw - min(gapPages * frameSize, candidate.raw - lower.raw)
            let (needed, overflow) = (pageCount + gapPages).multipliedReportingOverflow(by: frameSize)
            guard !overflow, needed <= end.raw, candidate.raw <= end.raw - needed else { return nil }
            let guardEnd = candidate.raw + needed
            guard let mapped = firstMappedPage(from: VirtualAddress(guardStart), before: VirtualAddress(guardEnd)) else {
                return candidate
            }
            candidate = VirtualAddress(mapped.raw + frameSize + gapPages * frameSize)
        }
    }
}

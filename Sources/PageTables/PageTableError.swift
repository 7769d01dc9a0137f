// Errors of map / unmap / protect, as values. Every operation validates before it changes anything,
// and an operation that fails after a change (only table-frame exhaustion or a bad frame in a range)
// rolls back, so on every error the tables are exactly as they were.

/// Why a page-table operation was refused.
public enum PageTableError: Error, Equatable, Sendable {
    /// The page (or part of it) is already mapped: a 4 KiB page inside an existing 2 MiB page, a
    /// 2 MiB page over a region that holds 4 KiB pages, or the same page twice.
    case alreadyMapped
    /// Nothing is mapped at the page.
    case notMapped
    /// A mapping exists at the page but with the other page size (e.g. unmap of a 4 KiB page that
    /// lies inside a 2 MiB page); split or merge is the caller's decision.
    case pageSizeMismatch
    /// The virtual page or the physical frame is not aligned to the page size.
    case misaligned
    /// The virtual address is not canonical (bits 47-63 differ).
    case nonCanonical
    /// The address is canonical but outside the PML4 slots this address space owns (for a user
    /// space, outside `UserSpace.range`: the kernel's shared slots, the guard slot, the higher half).
    case outsideAddressSpace
    /// start + pageCount * size wraps around 2^64 or ends past the owned range.
    case rangeOverflow
    /// The frame does not fit in an entry's 40-bit frame field (physical address >= 2^52).
    case frameOutOfRange
    /// The flags contain a bit this module does not define, `.user` in a kernel address space, or
    /// `.user` with `.global` (a global user page would survive the CR3 switch into another process).
    case invalidFlags
    /// The frame source returned nil while a table was needed.
    case outOfTableFrames
    /// A range map's frame allocator returned nil for a page (mapRange with `allocateFrame`).
    case outOfFrames
}

// Where page-table frames come from and go back to.
//
// The kernel's source wraps the physical frame allocator; host tests use a fake that records every
// frame it has handed out so that leaks and double frees show up.

import MemoryCore

/// Hands out and takes back 4 KiB frames for page tables. Frames need not be zeroed: the address
/// space zeroes every new table through its `PhysicalMemoryAccess`.
public protocol TableFrameSource {
    /// A free frame, or nil when none is left (reported as `PageTableError.outOfTableFrames`).
    mutating func allocateTableFrame() -> FrameNumber?
    /// Takes back a frame that `allocateTableFrame` returned and that no table references any more.
    mutating func freeTableFrame(_ frame: FrameNumber)
}

/// What `checkInvariants` asks of a frame source to prove that every table frame is accounted for.
public protocol TableFrameLedger {
    /// True when `frame` was handed out by `allocateTableFrame` and not freed since.
    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool
    /// How many frames are outstanding, when this source serves exactly one address space (so the
    /// count must equal the space's `tableFrameCount`); nil when the source is shared.
    var outstandingTableFrameCount: Int? { get }
}

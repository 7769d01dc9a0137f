// Where the objects layer gets frames and commit charges: in the kernel, the frame allocator and
// UserCommit.ledger; on the host, a fake that records every frame and every charge so the tests
// can prove each one comes back. Generic parameter, never an existential (Embedded Swift).

import MemoryCore

/// Frames and the commit ledger, as the machine provides them.
public protocol ObjectFrameSource {
    /// A frame filled with zeros, or nil when none is left. The frame is the caller's until freed.
    mutating func allocateZeroedFrame() -> FrameNumber?
    /// Copies the 4 KiB of frame `from` into frame `to` (a CoW copy).
    mutating func copyFrame(from: FrameNumber, to: FrameNumber)
    /// Returns a frame allocated by `allocateZeroedFrame` (or adopted) whose last reference went.
    mutating func freeFrame(_ frame: FrameNumber)
    /// Charges `pages` to the system commit ledger; false (nothing charged) when over the limit.
    mutating func chargeCommit(_ pages: UInt64) -> Bool
    /// Releases a charge taken by `chargeCommit`.
    mutating func releaseCommit(_ pages: UInt64)
}

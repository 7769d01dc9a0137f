// Half-open ranges of physical memory: `start` inclusive, `end` exclusive, never an inclusive end.

/// A half-open range of physical bytes [start, end). Empty when start == end.
public struct PhysicalRange: Hashable, Sendable {
    public var start: PhysicalAddress
    public var end: PhysicalAddress

    /// Precondition: start <= end.
    @inlinable public init(start: PhysicalAddress, end: PhysicalAddress) {
        self.start = start
        self.end = end
    }

    /// The range [base, base + length), or nil when base + length passes 2^64.
    @inlinable public init?(base: UInt64, length: UInt64) {
        let (end, overflow) = base.addingReportingOverflow(length)
        if overflow { return nil }
        self.init(start: PhysicalAddress(base), end: PhysicalAddress(end))
    }

    @inlinable public var byteCount: UInt64 { end.raw - start.raw }
    @inlinable public var isEmpty: Bool { start == end }

    @inlinable public func contains(_ address: PhysicalAddress) -> Bool {
        start <= address && address < end
    }

    @inlinable public func overlaps(_ other: PhysicalRange) -> Bool {
        start < other.end && other.start < end
    }

    /// The whole frames inside the range: start rounded up, end rounded down (usable RAM is
    /// trimmed inwards so a partial frame is never handed out). Empty if no whole frame fits.
    @inlinable public var wholeFrames: FrameRange {
        let first = (start.alignedUp(to: frameSize) ?? PhysicalAddress(alignDown(UInt64.max, to: frameSize))).containingFrame
        let last = end.alignedDown(to: frameSize).containingFrame
        return first < last ? FrameRange(first, last) : FrameRange(first, first)
    }

    /// Every frame that any byte of the range touches: start rounded down, end rounded up
    /// (reserved ranges are widened outwards so no byte of them is ever handed out).
    @inlinable public var touchedFrames: FrameRange {
        let first = start.containingFrame
        let endFrame =
            end.alignedUp(to: frameSize).map { $0.containingFrame }
            ?? FrameNumber(UInt64.max >> frameShift + 1)
        return first < endFrame ? FrameRange(first, endFrame) : FrameRange(first, first)
    }
}

/// A half-open range of frames [start, end).
public struct FrameRange: Hashable, Sendable {
    public var start: FrameNumber
    public var end: FrameNumber

    @inlinable public init(_ start: FrameNumber, _ end: FrameNumber) {
        self.start = start
        self.end = end
    }

    @inlinable public var count: UInt64 { end.raw - start.raw }
    @inlinable public var isEmpty: Bool { start == end }
    @inlinable public func contains(_ frame: FrameNumber) -> Bool { start <= frame && frame < end }

    /// The byte range the frames cover.
    @inlinable public var physicalRange: PhysicalRange {
        PhysicalRange(start: start.startAddress, end: end.startAddress)
    }
}

// The frame allocator's typed results: errors, statistics, per-frame state, invariant violations.
import MemoryCore

/// Why an allocate or free was refused. On every error, nothing in the allocator changed.
public enum FrameAllocatorError: Error, Equatable, Sendable {
    /// No free frame, or no free run of the requested count and alignment.
    case outOfMemory
    /// The frame (the run's first frame) is already free: a double free.
    case alreadyFree
    /// The frame is not RAM the allocator manages: outside the span, in a hole between usable
    /// ranges, or a run that reaches past the span's end.
    case notManaged
    /// The frame is inside a reservation (kernel image, boot data, metadata...).
    case reserved
    /// The run is not exactly one allocation: its first frame does not start an allocation, it
    /// crosses into another allocation or a free/unmanaged frame, or it is only part of one.
    case runMismatch
    /// Count 0, or more frames than the span holds (checked after the first frame is known to be
    /// inside the span, so a free outside the span is `.notManaged` whatever its count).
    case invalidCount
    /// Alignment is not a power of two.
    case invalidAlignment
}

/// Why the allocator could not be set up over the given storage. Nothing was written.
public enum FrameAllocatorSetupError: Error, Equatable, Sendable {
    /// The span holds no frame.
    case emptySpan
    /// The storage is smaller than `FrameAllocator.metadataByteCount(managing:)`.
    case storageTooSmall(required: UInt64, provided: UInt64)
    /// The storage does not start at a multiple of 8 bytes.
    case storageMisaligned
    /// A usable range lies (partly) outside the span.
    case usableRangeOutsideSpan(FrameRange)
}

/// Frame counts. Equations: usedFrames == totalFrames - freeFrames; totalFrames counts usable,
/// unreserved frames of the span; reservedFrames counts the span's frames inside reservations
/// (usable or not).
public struct FrameStatistics: Equatable, Sendable {
    public var totalFrames: UInt64
    public var freeFrames: UInt64
    public var usedFrames: UInt64 { totalFrames - freeFrames }
    public var reservedFrames: UInt64
}

/// What one frame is, as the allocator sees it.
public enum FrameState: Equatable, Sendable {
    case free
    /// Allocated, and the first frame of its allocation.
    case allocatedRunStart
    /// Allocated, inside an allocation that started at a lower frame.
    case allocatedInsideRun
    case reserved
    /// Outside the span or in a hole: never RAM the allocator hands out.
    case notManaged
}

/// The first broken invariant found by `FrameAllocator.checkInvariants()`.
public enum FrameAllocatorInvariantViolation: Equatable, Sendable {
    /// free ⊆ managed broken: a frame that is not managed RAM is marked free.
    case freeFrameNotManaged(FrameNumber)
    /// managed ∩ reserved == ∅ broken.
    case managedFrameReserved(FrameNumber)
    /// start ⊆ allocated broken: an allocation start on a free or unmanaged frame.
    case runStartNotAllocated(FrameNumber)
    /// An allocated frame with no start bit whose predecessor is not allocated: it belongs to no run.
    case allocatedFrameWithoutRun(FrameNumber)
    /// A bit set for a frame outside [span.start, span.end).
    case bitOutsideSpan(FrameNumber)
    /// A summary word disagrees with the level below (bitmap 0: free frames, 1: full words).
    case summaryMismatch(bitmap: Int, level: Int, word: Int)
    /// The "word entirely free" bit of leaf word `word` is wrong.
    case fullWordBitMismatch(word: Int)
    /// A run-length byte is wrong: at level 0 it differs from the longest free stretch starting in
    /// leaf word `byte`; above, from the maximum of its 8 children (or a byte past a level's end
    /// is not 0).
    case runLengthMismatch(level: Int, byte: Int)
    /// A byte of the run lengths for `alignment` (2...64) is wrong, as for runLengthMismatch with
    /// stretches starting at multiples of the alignment (level == the tree's level count: an entry
    /// of its search-start table).
    case alignedRunLengthMismatch(alignment: Int, level: Int, byte: Int)
    /// The recorded free count differs from the number of free bits.
    case freeCountMismatch(recorded: UInt64, counted: UInt64)
    /// The number of managed bits differs from totalFrames.
    case managedCountMismatch(recorded: UInt64, counted: UInt64)
    /// The number of reserved bits differs from reservedFrames.
    case reservedCountMismatch(recorded: UInt64, counted: UInt64)
    /// A free frame below the search hint (the hint promises there is none).
    case freeFrameBelowHint(FrameNumber)
    /// The hint points past the bitmap.
    case hintOutOfRange(UInt64)
    /// The recent-frames stack holds more than its capacity.
    case recentCountOutOfRange(UInt64)
    /// A stacked frame is outside the span, not managed, reserved, free in the bitmap, a run
    /// start, or stacked twice.
    case recentFrameInvalid(FrameNumber)
}

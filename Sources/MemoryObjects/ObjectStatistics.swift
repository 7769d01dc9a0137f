// The registry's counters, for the log's summary and the tests. Cheap: every field is kept up to
// date as objects change (the invariant checker recomputes each from the structures).

public struct ObjectStatistics: Equatable, Sendable {
    /// Objects alive now.
    public var liveObjects: Int = 0
    /// Distinct frames held by objects (refcount >= 1).
    public var framesHeld: UInt64 = 0
    /// Frames held by two or more object slots (refcount > 1): CoW-shared.
    public var sharedFrames: UInt64 = 0
    /// CoW copies made since boot (a write to a shared frame).
    public var cowCopies: UInt64 = 0
    /// Committed page slots over every object (a shared frame counts once per slot).
    public var committedPages: UInt64 = 0
    /// Pages charged to the commit ledger by live objects (sum of their page counts).
    public var chargedPages: UInt64 = 0
    /// Objects destroyed since boot.
    public var objectsDestroyed: UInt64 = 0
    /// Frames returned to the frame source since boot.
    public var framesFreed: UInt64 = 0

    public init() {}
}

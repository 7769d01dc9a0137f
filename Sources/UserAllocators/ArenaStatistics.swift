// What a BumpArena reports about itself. Accounting rules (checked by checkInvariants):
//   bytesHeld = sum over the chunk chain of each chunk's byte count; chunksHeld = chain length
//   chunksMapped - chunksUnmapped = chunksHeld
//   liveBytes <= bytesHeld - chunksHeld * ChunkHeader.byteCount (requested bytes, padding apart)
// "Live" means allocated since the last reset or rewind: the arena frees nothing individually.

/// Counters of a BumpArena.
public struct ArenaStatistics: Equatable, Sendable {
    /// Chunks currently held, and their bytes (taken from the page source).
    public var chunksHeld = 0
    public var bytesHeld = 0
    public var peakBytesHeld = 0
    /// Allocations and requested bytes since the last reset (rewinds restore the mark's values).
    public var liveAllocations = 0
    public var liveBytes = 0
    /// Lifetime totals: chunks mapped from and unmapped to the source, refused requests.
    public var chunksMapped = 0
    public var chunksUnmapped = 0
    public var failedRequests = 0

    @inlinable public init() {}
}

// What a UserHeap reports about itself. Accounting rules (checked by checkInvariants):
//   heldBytes = 64 KiB * smallSpans + 256 KiB * mediumRegions + sum(large mappings) + directoryBytes
//   liveBytes = sum over live blocks of their usable size (slot size, medium payload, large
//               mapping minus header), i.e. what usableByteCount(of:) answers
//   liveBlocks(inClass: c) = sum over spans of class c of usedCount
// Peaks are high-water marks of the two byte counts since the heap was created.

/// Counters of a UserHeap.
public struct HeapStatistics: Sendable {
    /// Usable bytes of all live blocks.
    public internal(set) var liveBytes = 0
    public internal(set) var peakLiveBytes = 0
    /// Bytes currently mapped from the page source (spans, regions, large blocks, directory).
    public internal(set) var heldBytes = 0
    public internal(set) var peakHeldBytes = 0
    /// Live blocks per small size class (index = SizeClass index).
    public internal(set) var liveBlocksPerClass: InlineArray<32, Int> = InlineArray(repeating: 0)
    /// Small spans mapped (in use, current, or cached empty).
    public internal(set) var smallSpans = 0
    /// Of those, empty spans kept in the cache for reuse.
    public internal(set) var cachedEmptySpans = 0
    public internal(set) var mediumRegions = 0
    public internal(set) var liveMediumBlocks = 0
    public internal(set) var largeBlocks = 0
    /// Bytes of the span directory's table.
    public internal(set) var directoryBytes = 0
    /// Calls made to the page source.
    public internal(set) var mapCalls = 0
    public internal(set) var unmapCalls = 0

    public init() {}

    /// Live blocks of small class `index`.
    public func liveBlocks(inClass index: Int) -> Int { liveBlocksPerClass[index] }

    @inline(__always) mutating func noteLive(_ bytes: Int) {
        liveBytes &+= bytes
        if liveBytes > peakLiveBytes { peakLiveBytes = liveBytes }
    }

    @inline(__always) mutating func noteMapped(_ bytes: Int) {
        heldBytes += bytes
        mapCalls += 1
        if heldBytes > peakHeldBytes { peakHeldBytes = heldBytes }
    }

    @inline(__always) mutating func noteUnmapped(_ bytes: Int) {
        heldBytes -= bytes
        unmapCalls += 1
    }
}

// What a UserHeap reports about itself. Accounting rules (checked by checkInvariants):
//   heldBytes = smallSpanBytes + mediumRegionBytes + sum(large mappings, live and cached)
//               + directoryBytes
//   smallSpanBytes = sum over spans of their size (4 ... 64 KiB), cached empty ones included
//   mediumRegionBytes = sum over regions of their size (16 ... 256 KiB)
//   liveBytes = sum over live blocks of their usable size (slot size, medium payload, large
//               mapping minus header), i.e. what usableByteCount(of:) answers
//   statistics(ofClass: c).liveBlocks = sum over spans of class c of usedCount (computed on
//   request by walking the spans, so the malloc/free fast paths keep no per-class counters)
// Peaks are high-water marks of the two byte counts since the heap was created.
// Live bytes are kept as the peak and the headroom below it (liveBytes = peakLiveBytes -
// liveHeadroom, liveHeadroom >= 0): malloc subtracts from the headroom and only when it goes
// negative raises the peak, so the exact peak costs malloc one read-modify-write and a sign test
// (the flags of the subtraction) instead of an add, a store, a load of the peak and a compare.

/// Counters of a UserHeap.
public struct HeapStatistics: Sendable {
    /// Usable bytes of all live blocks.
    @inlinable public var liveBytes: Int { peakLiveBytes &- liveHeadroom }
    public var peakLiveBytes = 0
    /// peakLiveBytes - liveBytes (never negative).
    @usableFromInline var liveHeadroom = 0
    /// Bytes currently mapped from the page source (spans, regions, large blocks, granule map).
    public var heldBytes = 0
    public var peakHeldBytes = 0
    /// Small spans mapped (in use, current, or cached empty).
    public var smallSpans = 0
    /// Bytes of those spans (each 4 ... 64 KiB).
    public var smallSpanBytes = 0
    /// Of those, empty spans kept in the cache for reuse, and their bytes.
    public var cachedEmptySpans = 0
    public var cachedEmptySpanBytes = 0
    public var mediumRegions = 0
    /// Bytes of the medium regions (each 16 ... 256 KiB).
    public var mediumRegionBytes = 0
    public var liveMediumBlocks = 0
    /// Payload bytes of the live medium blocks (light blocks included), counted apart so the
    /// peak composition can say how full the regions were.
    public var liveMediumBytes = 0
    public var largeBlocks = 0
    /// Freed large mappings kept for reuse, and their bytes.
    public var cachedLargeBlocks = 0
    public var cachedLargeBytes = 0
    /// Bytes of the granule map (one byte per 64 KiB of its window).
    public var directoryBytes = 0
    /// Calls made to the page source.
    public var mapCalls = 0
    public var unmapCalls = 0
    /// Large blocks resized by the source's remap (no bytes copied).
    public var remapCalls = 0
    /// Idle mappings turned into a new span, region or large mapping instead of being given
    /// back before it (UserHeap+Mapping.swift): one source remap each, or no call when the
    /// size was already right.
    public var recycledMappings = 0

    /// Where the held bytes were at their peak (taken as the peak is reached, before the mapping
    /// that reached it is given to its tier): small spans in use (cached empty ones apart), cached
    /// empty spans, medium regions, live bytes. Says which tier a footprint comes from. A peak
    /// reached by a remap's growth counts the growth as the mapping (the rest of the remapped
    /// block is among the large bytes).
    public var peakComposition = HeldComposition()

    /// Idle bytes given back before a mapping that would have raised the peak held
    /// (UserHeap+Mapping.swift, releaseIdleBeforePeak), by what they were: cached large mappings,
    /// cached empty spans, empty medium regions. When a tier soon maps again what another tier's
    /// mapping made it give back, these grow with source_maps (the churn that costs page faults).
    public var idleReleasedLargeBytes = 0
    public var idleReleasedSpanBytes = 0
    public var idleReleasedRegionBytes = 0

    @inlinable public init() {}

    /// `bytes` more live (negative: fewer, as a block shrunk in place).
    @inlinable @inline(__always) mutating func noteLive(_ bytes: Int) {
        liveHeadroom &-= bytes
        if _slowPath(liveHeadroom < 0) {  // past the peak: the peak moves up to the live bytes
            peakLiveBytes &-= liveHeadroom
            liveHeadroom = 0
        }
    }

    /// A block freed: live bytes only fall, so the peak needs no compare (one addition to the
    /// headroom on free's fast path).
    @inlinable @inline(__always) mutating func noteFreed(_ bytes: Int) {
        liveHeadroom &+= bytes
    }

    /// Whether `bytes` more held (a new mapping or a growth) would raise the peak held: the test
    /// behind taking another class's idle span before mapping one (UserHeap+Mapping.swift).
    @inlinable func wouldRaisePeak(adding bytes: Int) -> Bool { heldBytes + bytes > peakHeldBytes }

    /// Whether `bytes` more held would raise the peak held above the idle allowance: the one
    /// test behind giving idle memory back before a mapping (UserHeap+Mapping.swift,
    /// releaseIdleBeforePeak). Below either bound the idle memory is kept.
    @inlinable func wouldPassIdleAllowance(adding bytes: Int) -> Bool {
        wouldRaisePeak(adding: bytes) && heldBytes + bytes > idleAllowanceBytes
    }

    /// The held bytes up to which idle memory (cached spans and large mappings, empty regions)
    /// may raise the peak held: an eighth above the peak live bytes. A heap whose footprint is
    /// lower than that keeps its idle memory through its peaks instead of giving it back and
    /// faulting it in again; one above it gives it back as before.
    @inlinable var idleAllowanceBytes: Int { peakLiveBytes + peakSlackBytes }

    /// An eighth of the peak live bytes: what idle memory may add above them (idleAllowanceBytes)
    /// and the largest span that raises the peak held (SpanSizing.peakRaisingShift), one
    /// measure for both rules of how far the held bytes may run ahead of the live ones.
    @inlinable var peakSlackBytes: Int { peakLiveBytes / 8 }

    @inlinable @inline(__always) mutating func noteMapped(_ bytes: Int) {
        mapCalls += 1
        noteHeld(adding: bytes)
    }

    /// The held bytes grew by `bytes` (a mapping, a remap's growth or a recycled mapping): the
    /// one place a peak held is detected.
    @inlinable @inline(__always) mutating func noteHeld(adding bytes: Int) {
        heldBytes += bytes
        if heldBytes > peakHeldBytes { notePeak(reachedBy: bytes) }
    }

    /// A new peak held, reached by a mapping (or a remap's growth) of `bytes` that its tier does
    /// not count yet: records it and where the held bytes are.
    @inlinable mutating func notePeak(reachedBy bytes: Int) {
        peakHeldBytes = heldBytes
        peakComposition = HeldComposition(
            smallSpanBytes: smallSpanBytes - cachedEmptySpanBytes, cachedEmptySpanBytes: cachedEmptySpanBytes,
            mediumRegionBytes: mediumRegionBytes, liveBytes: liveBytes)
        peakComposition.liveMediumBytes = liveMediumBytes
        peakComposition.largeBytes = heldBytes - bytes - smallSpanBytes - mediumRegionBytes - directoryBytes
        peakComposition.mappingBytes = bytes
        peakComposition.directoryBytes = directoryBytes
    }

    /// An idle mapping set aside to be recycled: it leaves the held bytes as if given back.
    @inlinable mutating func noteSetAside(_ bytes: Int) { heldBytes -= bytes }

    /// A mapping set aside came back as a new mapping of `bytes`.
    @inlinable mutating func noteRecycled(_ bytes: Int) {
        recycledMappings += 1
        noteHeld(adding: bytes)
    }

    @inlinable @inline(__always) mutating func noteUnmapped(_ bytes: Int) {
        heldBytes -= bytes
        unmapCalls += 1
    }

    /// A mapping resized by `bytes` (negative: shrunk) through the source's remap.
    @inlinable mutating func noteRemapped(_ bytes: Int) {
        remapCalls += 1
        noteHeld(adding: bytes)
    }
}

/// One small size class, as `UserHeap.statistics(ofClass:)` finds it by walking its spans.
public struct SizeClassStatistics: Equatable, Sendable {
    public var slotSize = 0
    /// Spans currently assigned to the class (cached empty spans belong to no class).
    public var spans = 0
    /// Live blocks, light ones included.
    public var liveBlocks = 0
    /// Of those, light blocks: served from the medium regions (UserHeap+Light.swift).
    public var lightBlocks = 0
    /// Carved slots on free lists plus never-carved slots, over the class's spans.
    public var freeSlots = 0

    @inlinable public init() {}
}

/// A breakdown of held bytes (HeapStatistics.peakComposition).
public struct HeldComposition: Equatable, Sendable {
    public var smallSpanBytes = 0
    public var cachedEmptySpanBytes = 0
    public var mediumRegionBytes = 0
    public var liveBytes = 0
    /// Of those live bytes, the medium payloads (light blocks included).
    public var liveMediumBytes = 0
    /// Large mappings, live and cached.
    public var largeBytes = 0
    /// The mapping that reached the peak (a span, region, large block or granule map; not yet
    /// in the tier counts above), or the growth of the large block whose remap reached it.
    public var mappingBytes = 0
    /// The granule map (its window follows the spread of the heap's mappings, not what they hold).
    public var directoryBytes = 0

    @inlinable public init() {}

    @inlinable public init(smallSpanBytes: Int, cachedEmptySpanBytes: Int, mediumRegionBytes: Int, liveBytes: Int) {
        self.smallSpanBytes = smallSpanBytes
        self.cachedEmptySpanBytes = cachedEmptySpanBytes
        self.mediumRegionBytes = mediumRegionBytes
        self.liveBytes = liveBytes
    }
}

// BumpArena: allocation is a pointer bump inside chunks of whole pages from a PageSource.
//
// State: `current` is the newest chunk (0: none), and `cursor ..< limit` is its unused tail.
// Invariant: current == 0 implies cursor == limit == 0; otherwise
// current.payloadStart <= cursor <= limit == current.end. Older chunks are reachable through the
// headers' `previous` links; their unused tails are abandoned (a request that does not fit starts
// a new chunk, it never searches old ones: that is what keeps allocation a bump).
//
// Growth is by whole chunks: `chunkByteCount` bytes, or for a request too large for that, the
// request (plus header and worst-case alignment padding) rounded up to whole pages.
// Every size computation is overflow-checked; a refusal changes nothing but `failedRequests`.
// The arena is non-copyable (two copies would give the same pages back twice); its deinit, reset()
// and rewinds give every page above the kept point back to the source.

import MemoryCore
import UserMalloc

/// A bump allocator over pages from `Source`. Not thread-safe.
public struct BumpArena<Source: PageSource>: ~Copyable {
    @usableFromInline var pageSource: Source
    /// Bytes of a regular chunk (a positive multiple of the page size).
    public let chunkByteCount: Int
    @usableFromInline var current: UInt = 0
    @usableFromInline var cursor: UInt = 0
    @usableFromInline var limit: UInt = 0
    /// Chunks mapped so far (the next chunk's serial).
    @usableFromInline var nextSerial: UInt = 1
    @usableFromInline var counters = ArenaStatistics()

    /// A snapshot of the counters.
    @inlinable public var statistics: ArenaStatistics { counters }
    /// The page source (tests inspect their fake through it).
    @inlinable public var source: Source { pageSource }

    /// An empty arena (it maps nothing until the first allocation). `chunkByteCount` is rounded
    /// up to whole pages; zero or negative is `.invalidChunkSize`, beyond the address space
    /// `.sizeOverflow`.
    @inlinable public init(source: Source, chunkByteCount: Int = 64 * 1024) throws(ArenaError) {
        guard chunkByteCount > 0 else { throw .invalidChunkSize(chunkByteCount) }
        guard let rounded = alignUp(UInt64(chunkByteCount), to: UInt64(userPageSize)),
            rounded <= UInt64(Int.max)
        else { throw .sizeOverflow }
        self.pageSource = source
        self.chunkByteCount = Int(rounded)
    }

    deinit {
        var source = pageSource
        _ = Self.unmapChunks(from: current, downTo: 0, source: &source)
    }

    /// `byteCount` bytes at a multiple of `alignment` (a power of two; default 16). The memory
    /// is not initialised and stays valid until the arena is reset, rewound past it, or destroyed.
    @inlinable @inline(__always)
    public mutating func allocate(byteCount: Int, alignment: Int = 16) throws(ArenaError) -> UnsafeMutableRawPointer {
        guard byteCount > 0, alignment > 0, alignment & (alignment &- 1) == 0 else {
            throw refuse(byteCount > 0 ? .invalidAlignment(alignment) : .invalidSize(byteCount))
        }
        let mask = UInt(alignment) &- 1
        let (padded, paddingOverflow) = cursor.addingReportingOverflow(mask)
        let start = padded & ~mask
        let (end, endOverflow) = start.addingReportingOverflow(UInt(byteCount))
        if !paddingOverflow && !endOverflow && end <= limit {
            cursor = end
            counters.liveAllocations &+= 1
            counters.liveBytes &+= byteCount
            return arenaPointer(start)
        }
        return try allocateInNewChunk(byteCount: byteCount, alignment: alignment)
    }

    /// Room for `count` values of `T` (uninitialised, aligned for T). `count` must be positive;
    /// `count * stride` overflowing is `.sizeOverflow`. The arena never runs deinitialisers: use
    /// it for values that need none (or deinitialise them yourself before the reset).
    @inlinable @inline(__always)
    public mutating func allocate<T>(_ type: T.Type, count: Int) throws(ArenaError) -> UnsafeMutableBufferPointer<T> {
        guard count > 0 else { throw refuse(.invalidSize(count)) }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw refuse(.sizeOverflow) }
        let raw = try allocate(byteCount: max(bytes, 1), alignment: MemoryLayout<T>.alignment)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    /// Gives every chunk back to the source: the arena is as new (its lifetime totals stay).
    /// Every pointer it handed out becomes invalid.
    public mutating func reset() {
        releaseChunks(downTo: 0)
        counters.liveAllocations = 0
        counters.liveBytes = 0
    }

    /// Slow path: a new chunk large enough for the request, which becomes the current chunk.
    @inlinable @inline(never)
    mutating func allocateInNewChunk(byteCount: Int, alignment: Int) throws(ArenaError) -> UnsafeMutableRawPointer {
        // Worst case inside a fresh page-aligned chunk: header, then up to alignment - 1 bytes of
        // padding, then the request.
        let (withPadding, overflowA) = UInt(byteCount).addingReportingOverflow(UInt(alignment) &- 1)
        let (needed, overflowB) = withPadding.addingReportingOverflow(UInt(ChunkHeader.byteCount))
        guard !overflowA, !overflowB, let pages = alignUp(UInt64(needed), to: UInt64(userPageSize)),
            pages <= UInt64(Int.max)
        else { throw refuse(.sizeOverflow) }
        let chunkBytes = max(Int(pages), chunkByteCount)
        guard let mapped = pageSource.mapPages(byteCount: chunkBytes, alignment: userPageSize) else {
            throw refuse(.outOfMemory)
        }
        let chunk = ChunkRef(base: UInt(bitPattern: mapped))
        chunk.header = ChunkHeader(previous: current, byteCount: UInt(chunkBytes), serial: nextSerial)
        nextSerial &+= 1
        current = chunk.base
        cursor = chunk.payloadStart
        limit = chunk.end
        counters.chunksHeld += 1
        counters.chunksMapped += 1
        counters.bytesHeld += chunkBytes
        counters.peakBytesHeld = max(counters.peakBytesHeld, counters.bytesHeld)
        return try allocate(byteCount: byteCount, alignment: alignment)
    }

    /// Unmaps chunks from the newest down to (not including) the chunk at `keptBase` (0: all).
    /// With no chunk left, cursor = limit = 0; when a chunk is kept, `limit` is its end and the
    /// caller sets `cursor` (rewinds put back the mark's).
    @usableFromInline mutating func releaseChunks(downTo keptBase: UInt) {
        let released = Self.unmapChunks(from: current, downTo: keptBase, source: &pageSource)
        current = released.remaining
        counters.chunksHeld -= released.chunks
        counters.chunksUnmapped += released.chunks
        counters.bytesHeld -= released.bytes
        if current == 0 {
            cursor = 0
            limit = 0
        } else {
            limit = ChunkRef(base: current).end
        }
    }

    /// Unmaps the chain from `newest` down to (not including) `keptBase`; returns the chunk left
    /// current (keptBase, or 0 when it was not in the chain) and what was unmapped.
    @usableFromInline static func unmapChunks(
        from newest: UInt, downTo keptBase: UInt, source: inout Source
    )
        -> (remaining: UInt, chunks: Int, bytes: Int)
    {
        var base = newest
        var chunks = 0
        var bytes = 0
        while base != 0 && base != keptBase {
            let chunk = ChunkRef(base: base)
            let header = chunk.header
            base = header.previous
            source.unmapPages(chunk.pointer, byteCount: Int(header.byteCount))
            chunks += 1
            bytes += Int(header.byteCount)
        }
        return (base, chunks, bytes)
    }

    /// Counts a refused request and returns its error (for `throw refuse(...)`).
    @inlinable @inline(never) mutating func refuse(_ error: ArenaError) -> ArenaError {
        counters.failedRequests += 1
        return error
    }
}

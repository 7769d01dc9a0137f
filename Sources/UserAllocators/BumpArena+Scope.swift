// Marks, rewinds and scopes: freeing "everything since then" in one step.
//
// A mark names the current chunk (base and serial) and the cursor in it. Rewinding to a mark
// unmaps every chunk newer than the mark's chunk and puts the cursor back, so the mark's chunk is
// kept (for the mark of an empty arena: the oldest chunk): a loop of scopes that fit in one chunk
// maps and unmaps nothing after the first.

import UserMalloc

/// A point in a BumpArena's history to rewind to (from `BumpArena.mark`).
public struct ArenaMark: Equatable, Sendable {
    @usableFromInline let chunk: UInt
    @usableFromInline let serial: UInt
    @usableFromInline let cursor: UInt
    @usableFromInline let liveAllocations: Int
    @usableFromInline let liveBytes: Int

    @inlinable init(chunk: UInt, serial: UInt, cursor: UInt, liveAllocations: Int, liveBytes: Int) {
        self.chunk = chunk
        self.serial = serial
        self.cursor = cursor
        self.liveAllocations = liveAllocations
        self.liveBytes = liveBytes
    }
}

extension BumpArena {
    /// The arena's current position.
    @inlinable public var mark: ArenaMark {
        ArenaMark(
            chunk: current, serial: current == 0 ? 0 : ChunkRef(base: current).header.serial,
            cursor: cursor, liveAllocations: counters.liveAllocations, liveBytes: counters.liveBytes)
    }

    /// Frees everything allocated since `mark` (unmapping the chunks mapped since). A mark whose
    /// chunk is no longer in this arena's chain, or whose cursor is past the current one in the
    /// same chunk, is `.staleMark` and nothing changes.
    public mutating func rewind(to mark: ArenaMark) throws(ArenaError) {
        guard isLive(mark) else { throw refuse(.staleMark) }
        restore(mark)
    }

    /// Runs `body` on this arena and, however it exits (return or throw), rewinds to where the
    /// scope began: what the body allocated is freed, what was allocated before is kept.
    /// Scopes nest. If the body reset the arena (so the scope's mark is gone), the arena stays
    /// reset: either way it holds no more than it did when the scope began.
    @inlinable
    public mutating func withScope<Result, Failure: Error>(
        _ body: (inout BumpArena) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let start = mark
        defer {
            if isLive(start) { restore(start) } else { reset() }
        }
        return try body(&self)
    }

    /// Whether `mark` names a chunk in the chain with a cursor not beyond the current position.
    /// The usual case (the mark is in the current chunk) is checked inline; the walk is not.
    @inlinable @inline(__always) mutating func isLive(_ mark: ArenaMark) -> Bool {
        if mark.chunk == current && current != 0 {
            let chunk = ChunkRef(base: current)
            return chunk.header.serial == mark.serial && mark.cursor >= chunk.payloadStart && mark.cursor <= cursor
        }
        return isLiveInOlderChunk(mark)
    }

    /// isLive for a mark of an empty arena or of a chunk older than the current one. `mutating`
    /// although it only reads: a non-mutating out-of-line call would copy the arena to pass it.
    @usableFromInline mutating func isLiveInOlderChunk(_ mark: ArenaMark) -> Bool {
        if mark.chunk == 0 { return mark.serial == 0 }
        var base = current
        while base != 0 {
            let chunk = ChunkRef(base: base)
            let header = chunk.header
            if base == mark.chunk {
                return header.serial == mark.serial && mark.cursor >= chunk.payloadStart && mark.cursor <= chunk.end
            }
            base = header.previous
        }
        return false
    }

    /// Rewinds to a mark known to be live. The mark of an empty arena keeps the oldest chunk,
    /// emptied, as working memory (reset() and destruction give it back): a loop of scopes on an
    /// otherwise empty arena then maps once, not once per scope.
    @inlinable @inline(__always) mutating func restore(_ mark: ArenaMark) {
        if mark.chunk == current && current != 0 {
            cursor = mark.cursor
        } else {
            releaseChunks(after: mark)
        }
        counters.liveAllocations = mark.liveAllocations
        counters.liveBytes = mark.liveBytes
    }

    /// restore() when chunks were mapped since the mark (or the mark is of an empty arena).
    @usableFromInline mutating func releaseChunks(after mark: ArenaMark) {
        if mark.chunk == 0 {
            let oldest = oldestChunk
            releaseChunks(downTo: oldest)
            cursor = oldest == 0 ? 0 : ChunkRef(base: oldest).payloadStart
        } else {
            releaseChunks(downTo: mark.chunk)
            cursor = mark.cursor
        }
    }
}

extension BumpArena {
    /// The base of the first chunk in the chain (0: none).
    @usableFromInline var oldestChunk: UInt {
        var base = current
        while base != 0 {
            let previous = ChunkRef(base: base).header.previous
            if previous == 0 { return base }
            base = previous
        }
        return 0
    }
}

/// Runs `body` with a fresh arena over `source` (chunks of `chunkByteCount` bytes); every page
/// it mapped is back in the source when `withArena` returns or throws (the arena is destroyed on
/// exit). Errors are the arena's: an invalid chunk size, or whatever the body's requests threw.
@inlinable
public func withArena<Source: PageSource, Result>(
    source: Source, chunkByteCount: Int = 64 * 1024,
    _ body: (inout BumpArena<Source>) throws(ArenaError) -> Result
) throws(ArenaError) -> Result {
    var arena = try BumpArena(source: source, chunkByteCount: chunkByteCount)
    return try body(&arena)
}

// Marks, rewinds and scopes: freeing "everything since then" in one step.
//
// A mark names the current chunk (base and serial) and the cursor in it. Rewinding to a mark
// unmaps every chunk newer than the mark's chunk and puts the cursor back, so the mark's chunk is
// kept: a loop of scopes that fit in one chunk maps and unmaps nothing after the first.

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
        ArenaMark(chunk: current, serial: current == 0 ? 0 : ChunkRef(base: current).header.serial,
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
    @usableFromInline func isLive(_ mark: ArenaMark) -> Bool {
        if mark.chunk == 0 { return mark.serial == 0 }
        var base = current
        while base != 0 {
            let header = ChunkRef(base: base).header
            if base == mark.chunk {
                let chunk = ChunkRef(base: base)
                guard header.serial == mark.serial, mark.cursor >= chunk.payloadStart,
                      mark.cursor <= chunk.end else { return false }
                return base != current || mark.cursor <= cursor
            }
            base = header.previous
        }
        return false
    }

    /// Rewinds to a mark known to be live.
    @usableFromInline mutating func restore(_ mark: ArenaMark) {
        releaseChunks(downTo: mark.chunk)
        cursor = mark.cursor
        counters.liveAllocations = mark.liveAllocations
        counters.liveBytes = mark.liveBytes
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

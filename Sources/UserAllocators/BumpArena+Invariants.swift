// checkInvariants(): walks the chunk chain and returns the first broken rule (nil: all hold).
// O(chunks); tests call it after every step of their random sequences. The rules are those of
// BumpArena.swift (cursor inside the current chunk) and ArenaStatistics.swift (accounting).

import UserMalloc

/// The first inconsistency BumpArena.checkInvariants() found, with the values involved.
public enum ArenaInvariantViolation: Equatable, Sendable {
    /// No current chunk, but the cursor or limit is not 0.
    case emptyArenaCursor(cursor: UInt, limit: UInt)
    /// The cursor is outside the current chunk's payload, or the limit is not the chunk's end.
    case cursorOutsideChunk(chunk: UInt, cursor: UInt, limit: UInt)
    /// A chunk base not page-aligned, or a chunk size not a positive multiple of the page size.
    case chunkGeometry(chunk: UInt, byteCount: UInt)
    /// Serial numbers must decrease strictly along the chain (newest first) and stay below the next one.
    case chunkSerial(chunk: UInt, serial: UInt)
    /// The chain is longer than the number of chunks the arena says it holds (or than it ever mapped).
    case chainTooLong(counted: Int)
    case chunksHeld(counted: Int, recorded: Int)
    case bytesHeld(counted: Int, recorded: Int)
    /// mapped - unmapped != held, or a peak below the current value, or negative live counts.
    case lifetimeTotals
    /// More live bytes than the chunks' payloads can hold.
    case liveBytes(live: Int, payloadBytes: Int)
}

extension BumpArena {
    /// Nil when every rule holds; otherwise the first violation found.
    public func checkInvariants() -> ArenaInvariantViolation? {
        if current == 0 {
            if cursor != 0 || limit != 0 { return .emptyArenaCursor(cursor: cursor, limit: limit) }
        } else {
            let chunk = ChunkRef(base: current)
            if cursor < chunk.payloadStart || cursor > limit || limit != chunk.end {
                return .cursorOutsideChunk(chunk: current, cursor: cursor, limit: limit)
            }
        }
        var chunks = 0
        var bytes = 0
        var base = current
        var previousSerial = nextSerial
        while base != 0 {
            if chunks >= counters.chunksMapped { return .chainTooLong(counted: chunks + 1) }
            let header = ChunkRef(base: base).header
            let page = UInt(userPageSize)
            if base % page != 0 || header.byteCount == 0 || header.byteCount % page != 0
                || header.byteCount > UInt(Int.max)
            {
                return .chunkGeometry(chunk: base, byteCount: header.byteCount)
            }
            if header.serial >= previousSerial || header.serial == 0 { return .chunkSerial(chunk: base, serial: header.serial) }
            previousSerial = header.serial
            chunks += 1
            bytes += Int(header.byteCount)
            base = header.previous
        }
        if chunks != counters.chunksHeld { return .chunksHeld(counted: chunks, recorded: counters.chunksHeld) }
        if bytes != counters.bytesHeld { return .bytesHeld(counted: bytes, recorded: counters.bytesHeld) }
        if counters.chunksMapped - counters.chunksUnmapped != counters.chunksHeld
            || counters.peakBytesHeld < counters.bytesHeld || counters.liveAllocations < 0
            || counters.liveBytes < 0 || (counters.liveAllocations == 0) != (counters.liveBytes == 0)
        {
            return .lifetimeTotals
        }
        let payload = bytes - chunks * ChunkHeader.byteCount
        if counters.liveBytes > payload { return .liveBytes(live: counters.liveBytes, payloadBytes: payload) }
        return nil
    }
}

// Unit tests of BumpArena: alignment, chunk growth, reset, scopes and marks, pages back to the
// source on reset and destruction, and bad input rejected with values that change nothing.

import Testing
import TestSupport
import MemoryCore
@testable import UserAllocators

@Suite struct BumpArenaTests {
    @Test func allocationsAreAlignedDistinctAndInOneChunk() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 16384)
        #expect(source.mapCount == 0, "an empty arena maps nothing")
        var previousEnd: UInt = 0
        for alignment in [1, 2, 8, 16, 64, 256, 4096] {
            let pointer = try arena.allocate(byteCount: 24, alignment: alignment)
            let address = UInt(bitPattern: pointer)
            #expect(address % UInt(alignment) == 0)
            #expect(address >= previousEnd, "bumps only move forward")
            previousEnd = address + 24
            pointer.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 24)
        }
        #expect(source.mapCount == 1)
        #expect(arena.statistics.liveAllocations == 7)
        #expect(arena.statistics.liveBytes == 7 * 24)
        #expect(arena.statistics.bytesHeld == 16384)
        #expect(arena.checkInvariants() == nil)
    }

    @Test func growsByWholeChunksAndGivesLargeRequestsTheirOwn() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 5000)
        #expect(arena.chunkByteCount == 8192, "rounded up to whole pages")
        for _ in 0 ..< 3 { _ = try arena.allocate(byteCount: 4000) }
        #expect(arena.statistics.chunksHeld == 2, "two 4000-byte blocks per 8 KiB chunk")
        _ = try arena.allocate(byteCount: 100_000, alignment: 64)
        #expect(arena.statistics.chunksHeld == 3)
        #expect(source.mappings.values.contains(alignUp(100_000 + 63 + 32, to: 4096)))
        #expect(arena.statistics.bytesHeld == source.mappedBytes)
        #expect(arena.checkInvariants() == nil)
    }

    @Test func resetAndDestructionGiveEveryPageBack() throws {
        let source = FakePageSource()
        do {
            var arena = try BumpArena(source: source, chunkByteCount: 4096)
            for size in [100, 5000, 3000, 70_000, 16] { _ = try arena.allocate(byteCount: size) }
            #expect(source.mappings.count == arena.statistics.chunksHeld)
            arena.reset()
            #expect(source.mappings.isEmpty)
            #expect(arena.statistics.chunksHeld == 0 && arena.statistics.bytesHeld == 0)
            #expect(arena.statistics.liveAllocations == 0 && arena.statistics.liveBytes == 0)
            #expect(arena.checkInvariants() == nil)
            _ = try arena.allocate(byteCount: 10)
            _ = try arena.allocate(byteCount: 9000)
            #expect(!source.mappings.isEmpty)
        }
        #expect(source.mappings.isEmpty, "destruction unmaps every chunk")
        #expect(source.misuse.isEmpty)
    }

    @Test func withArenaGivesEveryPageBack() throws {
        let source = FakePageSource()
        let sum = try withArena(source: source, chunkByteCount: 4096) { arena throws(ArenaError) -> Int in
            let values = try arena.allocate(Int.self, count: 1000)
            for index in values.indices { values[index] = index }
            return values.reduce(0, +)
        }
        #expect(sum == 999 * 1000 / 2)
        #expect(source.mapCount == 1 && source.mappings.isEmpty)
    }

    @Test func scopeRewindsAndKeepsItsStartingChunk() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        let kept = try arena.allocate(byteCount: 64)
        kept.initializeMemory(as: UInt8.self, repeating: 7, count: 64)
        let before = arena.statistics
        for round in 0 ..< 1000 {
            let inner = try arena.withScope { scoped throws(ArenaError) -> UInt in
                let buffer = try scoped.allocate(UInt64.self, count: 32)
                for index in buffer.indices { buffer[index] = UInt64(round + index) }
                if round % 100 == 0 { _ = try scoped.allocate(byteCount: 20_000) }  // a chunk of its own
                return UInt(bitPattern: buffer.baseAddress)
            }
            #expect(inner > UInt(bitPattern: kept))
            #expect(arena.statistics.liveAllocations == before.liveAllocations)
            #expect(arena.statistics.liveBytes == before.liveBytes)
            #expect(arena.statistics.chunksHeld == 1)
        }
        #expect(source.mapCount == 11, "the first chunk is kept; only the large requests mapped")
        #expect((0 ..< 64).allSatisfy { kept.load(fromByteOffset: $0, as: UInt8.self) == 7 })
        #expect(arena.checkInvariants() == nil)
    }

    @Test func scopeRewindsWhenItsBodyThrowsAndNests() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        let outerMark = arena.mark
        #expect(throws: ArenaError.invalidSize(0)) {
            try arena.withScope { scoped throws(ArenaError) in
                _ = try scoped.allocate(byteCount: 100)
                try scoped.withScope { inner throws(ArenaError) in
                    _ = try inner.allocate(byteCount: 9000)
                    _ = try inner.allocate(byteCount: 0)
                }
            }
        }
        #expect(arena.statistics.liveAllocations == 0 && arena.statistics.liveBytes == 0)
        #expect(arena.mark.cursor == ChunkRef(base: arena.oldestChunk).payloadStart)
        #expect(source.mappings.count == 1, "the scope began on an empty arena: the first chunk is kept, emptied")
        #expect(arena.checkInvariants() == nil)
        arena.reset()
        #expect(source.mappings.isEmpty && outerMark.chunk == 0)
    }

    @Test func scopeWhoseBodyResetsLeavesTheArenaReset() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        _ = try arena.allocate(byteCount: 10)
        try arena.withScope { scoped throws(ArenaError) in
            scoped.reset()
            _ = try scoped.allocate(byteCount: 10)
        }
        #expect(source.mappings.isEmpty)
        #expect(arena.statistics.liveAllocations == 0)
        #expect(arena.checkInvariants() == nil)
    }

    @Test func scopesOnAnEmptyArenaMapOnce() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        for _ in 0 ..< 100 {
            try arena.withScope { scoped throws(ArenaError) in _ = try scoped.allocate(byteCount: 100) }
        }
        #expect(source.mapCount == 1 && source.mappings.count == 1)
        #expect(arena.statistics.liveBytes == 0 && arena.checkInvariants() == nil)
    }

    @Test func staleMarksAreRefused() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        _ = try arena.allocate(byteCount: 10)
        let mark = arena.mark
        arena.reset()
        _ = try arena.allocate(byteCount: 10)  // possibly the very same address, but a new serial
        #expect(throws: ArenaError.staleMark) { try arena.rewind(to: mark) }
        var other = try BumpArena(source: source, chunkByteCount: 4096)
        _ = try other.allocate(byteCount: 10)
        #expect(throws: ArenaError.staleMark) { try arena.rewind(to: other.mark) }
        let early = arena.mark
        _ = try arena.allocate(byteCount: 10)
        let late = arena.mark
        try arena.rewind(to: early)
        #expect(throws: ArenaError.staleMark, "a mark ahead of the cursor") { try arena.rewind(to: late) }
        #expect(arena.statistics.failedRequests == 3)
        #expect(arena.checkInvariants() == nil)
    }

    @Test func badInputIsRefusedWithValuesAndChangesNothing() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        _ = try arena.allocate(byteCount: 10)
        let mark = arena.mark
        let held = arena.statistics.bytesHeld
        let cases: [(Int, Int, ArenaError)] = [
            (0, 16, .invalidSize(0)), (-1, 16, .invalidSize(-1)), (Int.min, 16, .invalidSize(Int.min)),
            (16, 0, .invalidAlignment(0)), (16, 3, .invalidAlignment(3)), (16, 48, .invalidAlignment(48)),
            (16, -16, .invalidAlignment(-16)), (16, Int.min, .invalidAlignment(Int.min)),
            (Int.max, 16, .sizeOverflow), (Int.max - 4096, 1, .sizeOverflow), (16, 1 << 62, .outOfMemory),
            (1 << 40, 16, .outOfMemory),
        ]
        for (size, alignment, expected) in cases {
            #expect(throws: expected, "size \(size) alignment \(alignment)") {
                try arena.allocate(byteCount: size, alignment: alignment)
            }
            #expect(arena.mark == mark)
            #expect(arena.statistics.bytesHeld == held)
        }
        #expect(throws: ArenaError.sizeOverflow) { try arena.allocate(UInt64.self, count: Int.max / 4) }
        #expect(throws: ArenaError.invalidSize(0)) { try arena.allocate(UInt64.self, count: 0) }
        #expect(arena.statistics.failedRequests == cases.count + 2)
        #expect(arena.checkInvariants() == nil)
        #expect(throws: ArenaError.invalidChunkSize(0)) { _ = try BumpArena(source: source, chunkByteCount: 0) }
        #expect(throws: ArenaError.invalidChunkSize(-5)) { _ = try BumpArena(source: source, chunkByteCount: -5) }
        #expect(throws: ArenaError.sizeOverflow) { _ = try BumpArena(source: source, chunkByteCount: Int.max) }
    }

    @Test func sourceFailureIsOutOfMemoryAndTheArenaCarriesOn() throws {
        let source = FakePageSource()
        var arena = try BumpArena(source: source, chunkByteCount: 4096)
        source.successesBeforeFailure = 1
        _ = try arena.allocate(byteCount: 3000)
        #expect(throws: ArenaError.outOfMemory) { try arena.allocate(byteCount: 3000) }
        _ = try arena.allocate(byteCount: 500)  // still fits in the first chunk
        #expect(arena.statistics.chunksHeld == 1)
        #expect(arena.checkInvariants() == nil)
    }
}

/// alignUp for Int sizes in tests.
func alignUp(_ value: Int, to alignment: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }

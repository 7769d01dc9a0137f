// Seeded random sequences of BumpArena operations checked against a reference model after every
// step: the live allocations (pointer, size, fill pattern) grouped by the scope they were made in.
// Operations: allocate (sizes from 1 byte to several chunks, alignments 1 ... 8192, some invalid),
// open a scope (take a mark), close the innermost scope (rewind), reset. After every step:
// checkInvariants() is nil, the live counts match the model, no live allocation overlaps another
// or is outside a chunk the source mapped, every live allocation still holds its pattern, and the
// arena's bytesHeld equals the source's mapped bytes. At the end, destruction empties the source.

import Testing
import TestSupport
@testable import UserAllocators

struct ArenaModelBlock {
    let address: UInt
    let size: Int
    let pattern: UInt8
}

@Suite struct BumpArenaRandomizedTests {
    @Test(arguments: [1, 2, 3, 0x5EED, 0xC0FFEE])
    func randomSequencesMatchTheModel(seed: UInt64) throws {
        let source = FakePageSource()
        var rng = SeededGenerator(seed: seed)
        do {
            var arena = try BumpArena(source: source, chunkByteCount: 4096 * Int.random(in: 1 ... 4, using: &rng))
            // scopes[0] is the arena's top level; each later entry is an open scope with its mark.
            var scopes: [(mark: ArenaMark?, blocks: [ArenaModelBlock])] = [(nil, [])]
            var pattern: UInt8 = 0
            for step in 0 ..< 1500 {
                let choice = Int.random(in: 0 ..< 100, using: &rng)
                switch choice {
                case 0 ..< 70:
                    let size =
                        Int.random(in: 0 ..< 100, using: &rng) < 5
                        ? Int.random(in: 4096 ... 40_000, using: &rng) : Int.random(in: 1 ... 300, using: &rng)
                    let alignment = 1 << Int.random(in: 0 ... 13, using: &rng)
                    let pointer = try arena.allocate(byteCount: size, alignment: alignment)
                    let address = UInt(bitPattern: pointer)
                    try #require(address % UInt(alignment) == 0, "step \(step)")
                    pattern = pattern == 255 ? 1 : pattern + 1
                    pointer.initializeMemory(as: UInt8.self, repeating: pattern, count: size)
                    scopes[scopes.count - 1].blocks.append(ArenaModelBlock(address: address, size: size, pattern: pattern))
                case 70 ..< 75:
                    let badSize = [0, -1, Int.max, Int.min][Int.random(in: 0 ..< 4, using: &rng)]
                    let before = arena.mark
                    #expect(throws: ArenaError.self) { try arena.allocate(byteCount: badSize, alignment: 16) }
                    #expect(throws: ArenaError.self) { try arena.allocate(byteCount: 8, alignment: 24) }
                    #expect(arena.mark == before)
                case 75 ..< 87:
                    scopes.append((arena.mark, []))
                case 87 ..< 98:
                    if scopes.count > 1, let mark = scopes.removeLast().mark { try arena.rewind(to: mark) }
                default:
                    arena.reset()
                    scopes = [(nil, [])]
                }
                try check(arena, scopes.flatMap(\.blocks), source, step: step)
            }
        }
        #expect(source.mappings.isEmpty, "destruction unmaps every chunk")
        #expect(source.misuse.isEmpty)
    }

    func check(
        _ arena: borrowing BumpArena<FakePageSource>, _ live: [ArenaModelBlock], _ source: FakePageSource,
        step: Int
    ) throws {
        let violation = arena.checkInvariants()
        try #require(violation == nil, "step \(step): \(String(describing: violation))")
        try #require(arena.statistics.liveAllocations == live.count, "step \(step)")
        try #require(arena.statistics.liveBytes == live.reduce(0) { $0 + $1.size }, "step \(step)")
        try #require(arena.statistics.bytesHeld == source.mappedBytes, "step \(step)")
        let sorted = live.sorted { $0.address < $1.address }
        for (index, block) in sorted.enumerated() {
            if index > 0 {
                try #require(sorted[index - 1].address + UInt(sorted[index - 1].size) <= block.address, "overlap at step \(step)")
            }
            let inChunk = source.mappings.contains { base, bytes in
                block.address >= base && block.address + UInt(block.size) <= base + UInt(bytes)
            }
            try #require(inChunk, "step \(step): block outside every chunk")
            let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: block.address), count: block.size)
            try #require(bytes.allSatisfy { $0 == block.pattern }, "step \(step): block overwritten")
        }
    }
}

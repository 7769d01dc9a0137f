// Unit tests of ObjectPool: slots, exhaustion, LIFO reuse, refused puts (foreign, misaligned,
// double), bad construction, and the mapping back to the source on destruction.

import Testing
import TestSupport
import MemoryCore
@testable import UserAllocators

@Suite struct ObjectPoolTests {
    @Test func slotsAreDistinctAlignedAndBounded() throws {
        let source = FakePageSource()
        var pool = try ObjectPool(source: source, slotByteCount: 20, capacity: 100)
        #expect(pool.slotByteCount == 32)
        #expect(source.mapCount == 1 && pool.mappingByteCount == 4096)
        var slots = Set<UInt>()
        for _ in 0 ..< 100 {
            let slot = try pool.get()
            #expect(UInt(bitPattern: slot) % 16 == 0)
            slot.initializeMemory(as: UInt8.self, repeating: 0xEE, count: 32)
            slots.insert(UInt(bitPattern: slot))
        }
        #expect(slots.count == 100)
        #expect(throws: PoolError.exhausted) { try pool.get() }
        #expect(pool.statistics.failedGets == 1)
        #expect(pool.checkInvariants() == nil)
    }

    @Test func putSlotIsTheNextGet() throws {
        let source = FakePageSource()
        var pool = try ObjectPool(source: source, slotByteCount: 64, capacity: 8)
        let a = try pool.get()
        let b = try pool.get()
        try pool.put(a)
        try pool.put(b)
        #expect(try pool.get() == b)
        #expect(try pool.get() == a)
        #expect(pool.liveCount == 2)
        #expect(pool.checkInvariants() == nil)
    }

    @Test func badPutsAreRefusedAndChangeNothing() throws {
        let source = FakePageSource()
        var pool = try ObjectPool(source: source, slotByteCount: 48, capacity: 10)
        let slot = try pool.get()
        let other = try pool.get()
        try pool.put(other)
        let before = pool.statistics
        let address = UInt(bitPattern: slot)
        #expect(throws: PoolError.misalignedPointer(VirtualAddress(UInt64(address + 8)))) { try pool.put(slot + 8) }
        #expect(throws: PoolError.doublePut(VirtualAddress(UInt64(address + 48)))) { try pool.put(other) }
        let outside = UnsafeMutableRawPointer(bitPattern: address + 10 * 48)!
        #expect(throws: PoolError.foreignPointer(VirtualAddress(UInt64(address + 480)))) { try pool.put(outside) }
        let below = UnsafeMutableRawPointer(bitPattern: address - 16)!
        #expect(throws: PoolError.foreignPointer(VirtualAddress(UInt64(address - 16)))) { try pool.put(below) }
        #expect(pool.statistics.refusedPuts == 4)
        #expect(pool.statistics.live == before.live && pool.statistics.puts == before.puts)
        #expect(pool.checkInvariants() == nil)
        try pool.put(slot)
        #expect(throws: PoolError.doublePut(VirtualAddress(UInt64(address)))) { try pool.put(slot) }
        #expect(pool.checkInvariants() == nil)
    }

    @Test func badConstructionIsRefusedWithValues() throws {
        let source = FakePageSource()
        #expect(throws: PoolError.invalidSlotSize(0)) { _ = try ObjectPool(source: source, slotByteCount: 0, capacity: 1) }
        #expect(throws: PoolError.invalidSlotSize(-8)) { _ = try ObjectPool(source: source, slotByteCount: -8, capacity: 1) }
        #expect(throws: PoolError.invalidCapacity(0)) { _ = try ObjectPool(source: source, slotByteCount: 16, capacity: 0) }
        #expect(throws: PoolError.invalidCapacity(Int.min)) {
            _ = try ObjectPool(source: source, slotByteCount: 16, capacity: Int.min)
        }
        #expect(throws: PoolError.sizeOverflow) { _ = try ObjectPool(source: source, slotByteCount: Int.max, capacity: 1) }
        #expect(throws: PoolError.sizeOverflow) { _ = try ObjectPool(source: source, slotByteCount: 1 << 40, capacity: 1 << 30) }
        #expect(throws: PoolError.outOfMemory) { _ = try ObjectPool(source: source, slotByteCount: 1 << 20, capacity: 1 << 20) }
        #expect(source.mappings.isEmpty && source.misuse.isEmpty)
    }

    @Test func destructionGivesTheMappingBack() throws {
        let source = FakePageSource()
        do {
            var pool = try ObjectPool(source: source, slotByteCount: 4000, capacity: 5)
            _ = try pool.get()
            #expect(source.mappedBytes == pool.mappingByteCount)
            #expect(pool.mappingByteCount == 5 * 4000 + 4096 - (5 * 4000) % 4096)
        }
        #expect(source.mappings.isEmpty && source.misuse.isEmpty)
    }
}

/// The checkers notice damage (a checker that cannot fail proves nothing).
@Suite struct InvariantCheckerTests {
    @Test func arenaCheckerSeesACursorOutsideItsChunk() throws {
        var arena = try BumpArena(source: FakePageSource(), chunkByteCount: 4096)
        _ = try arena.allocate(byteCount: 16)
        arena.cursor = arena.limit + 16
        #expect(arena.checkInvariants() != nil)
        arena.cursor = arena.limit
        #expect(arena.checkInvariants() == nil)
        arena.counters.bytesHeld += 4096
        #expect(arena.checkInvariants() == .bytesHeld(counted: 4096, recorded: 8192))
        arena.counters.bytesHeld -= 4096
    }

    @Test func poolCheckerSeesAFreeSlotMarkedInUseAndACycle() throws {
        var pool = try ObjectPool(source: FakePageSource(), slotByteCount: 16, capacity: 4)
        let a = try pool.get()
        let b = try pool.get()
        try pool.put(a)
        pool.flipInUseBit(of: UInt(bitPattern: a))
        #expect(pool.checkInvariants() == .freeSlotMarkedInUse(slot: UInt(bitPattern: a)))
        pool.flipInUseBit(of: UInt(bitPattern: a))
        try pool.put(b)
        pool.memory.setLink(of: UInt(bitPattern: a), to: UInt(bitPattern: b))  // b -> a -> b -> ...
        #expect(pool.checkInvariants() == .freeListTooLong)
        pool.memory.setLink(of: UInt(bitPattern: a), to: 0)
        #expect(pool.checkInvariants() == nil)
    }
}

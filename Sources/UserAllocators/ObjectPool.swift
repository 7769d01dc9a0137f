// ObjectPool: `capacity` equal slots in one mapping from a PageSource; get and put are O(1).
//
// Slots are handed out from an intrusive free list (LIFO: the slot put last, still warm in the
// cache, is reused first) and, while it is empty, by carving the next never-used slot, so a new
// pool touches no page it has not handed out. An in-use bitmap (one bit per slot) lets put()
// refuse, in O(1), a pointer outside the slots, one off a slot boundary, and a slot already free.
//
// Invariants (checkInvariants): carved = live + free-list length; the free list holds distinct
// carved slots whose bits are clear; the bitmap has exactly `live` bits set, all below `carved`.
// Slot sizes are rounded up to a multiple of 16, so every slot is 16-byte aligned.

import MemoryCore
import UserMalloc

/// A fixed-capacity pool of equal slots over pages from `Source`. Not thread-safe.
public struct ObjectPool<Source: PageSource>: ~Copyable {
    @usableFromInline var pageSource: Source
    @usableFromInline let memory: PoolMemory
    /// Bytes of one slot (a multiple of 16) and the number of slots.
    public let slotByteCount: Int
    public let capacity: Int
    /// Bytes of the one mapping (slots, bitmap, rounded up to whole pages).
    public let mappingByteCount: Int
    @usableFromInline let slotsEnd: UInt
    @usableFromInline var freeHead: UInt = 0
    /// Slots handed out at least once (the next carve is base + carved * slotByteCount).
    @usableFromInline var carved = 0
    @usableFromInline var counters = PoolStatistics()

    @inlinable public var statistics: PoolStatistics { counters }
    @inlinable public var source: Source { pageSource }

    /// A pool of `capacity` slots of at least `slotByteCount` bytes, mapped now in one piece.
    public init(source: Source, slotByteCount: Int, capacity: Int) throws(PoolError) {
        guard slotByteCount > 0 else { throw .invalidSlotSize(slotByteCount) }
        guard capacity > 0 else { throw .invalidCapacity(capacity) }
        guard let slotBytes = alignUp(UInt64(slotByteCount), to: 16) else { throw .sizeOverflow }
        let (slotsBytes, slotsOverflow) = UInt64(capacity).multipliedReportingOverflow(by: slotBytes)
        let bitmapBytes = (UInt64(capacity) + 63) / 64 * 8
        let (total, totalOverflow) = slotsBytes.addingReportingOverflow(bitmapBytes)
        guard !slotsOverflow, !totalOverflow, let mapped = alignUp(total, to: UInt64(userPageSize)),
            mapped <= UInt64(Int.max)
        else { throw .sizeOverflow }
        var source = source
        guard let pointer = source.mapPages(byteCount: Int(mapped), alignment: userPageSize) else { throw .outOfMemory }
        let base = UInt(bitPattern: pointer)
        self.pageSource = source
        self.memory = PoolMemory(base: base, bitmap: base + UInt(slotsBytes))
        self.slotByteCount = Int(slotBytes)
        self.capacity = capacity
        self.mappingByteCount = Int(mapped)
        self.slotsEnd = base + UInt(slotsBytes)
    }

    deinit {
        var source = pageSource
        source.unmapPages(memory.pointer, byteCount: mappingByteCount)
    }

    /// Slots currently handed out.
    @inlinable public var liveCount: Int { counters.live }

    /// A free slot (16-byte aligned, contents unspecified), or `.exhausted` when all are in use.
    @inlinable @inline(__always)
    public mutating func get() throws(PoolError) -> UnsafeMutableRawPointer {
        var slot = freeHead
        if slot != 0 {
            freeHead = memory.link(of: slot)
        } else {
            guard carved < capacity else { throw exhausted() }
            slot = memory.base &+ UInt(carved &* slotByteCount)
            carved &+= 1
        }
        flipInUseBit(of: slot)
        counters.live &+= 1
        counters.gets &+= 1
        return PoolMemory.pointer(slot)
    }

    /// Gives a slot back. A pointer outside the slots, off a slot boundary, or to a free slot is
    /// refused with the matching error and changes nothing.
    @inlinable @inline(__always)
    public mutating func put(_ pointer: UnsafeMutableRawPointer) throws(PoolError) {
        let slot = UInt(bitPattern: pointer)
        guard slot >= memory.base, slot < slotsEnd else { throw refuse(.foreignPointer(VirtualAddress(UInt64(slot)))) }
        let offset = slot &- memory.base
        guard offset % UInt(slotByteCount) == 0 else { throw refuse(.misalignedPointer(VirtualAddress(UInt64(slot)))) }
        guard isInUse(slot) else { throw refuse(.doublePut(VirtualAddress(UInt64(slot)))) }
        flipInUseBit(of: slot)
        memory.setLink(of: slot, to: freeHead)
        freeHead = slot
        counters.live &-= 1
        counters.puts &+= 1
    }

    /// Whether `slot` (a slot start inside the pool) is handed out.
    @inlinable @inline(__always) func isInUse(_ slot: UInt) -> Bool {
        let index = Int((slot &- memory.base) / UInt(slotByteCount))
        return memory.bitmapWord(index >> 6) & (1 << UInt64(index & 63)) != 0
    }

    @inlinable @inline(__always) func flipInUseBit(of slot: UInt) {
        let index = Int((slot &- memory.base) / UInt(slotByteCount))
        memory.setBitmapWord(index >> 6, to: memory.bitmapWord(index >> 6) ^ (1 << UInt64(index & 63)))
    }

    @inlinable @inline(never) mutating func exhausted() -> PoolError {
        counters.failedGets += 1
        return .exhausted
    }

    @inlinable @inline(never) mutating func refuse(_ error: PoolError) -> PoolError {
        counters.refusedPuts += 1
        return error
    }
}

/// Counters of an ObjectPool.
public struct PoolStatistics: Equatable, Sendable {
    /// Slots handed out now.
    public var live = 0
    /// Lifetime totals: successful gets and puts, gets refused (exhausted), puts refused (bad pointer).
    public var gets = 0
    public var puts = 0
    public var failedGets = 0
    public var refusedPuts = 0

    @inlinable public init() {}
}

// One cache: objects of one size on slabs of its own. The generic caches serve kmalloc-style
// requests by size class; named caches serve one kind of kernel object each.

/// Names a cache of a SlabHeap (returned by `createCache`, used by `allocate(from:)`).
public struct SlabCacheID: Hashable, Sendable {
    public let index: Int
}

/// The first and last slab of a doubly linked list of slab headers (0: the list is empty).
@usableFromInline struct SlabListEnds {
    @usableFromInline var head: UInt64 = 0
    @usableFromInline var tail: UInt64 = 0

    @usableFromInline init() {}
}

/// The shape of a cache's slabs, fixed when the cache is made.
@usableFromInline struct SlabShape {
    /// Offset of the first object in a slab: the header, rounded up to the objects' alignment.
    @usableFromInline var firstObject = 0
    /// capacity * objectBytes: a slot start lies at firstObject + k * objectBytes, k < capacity.
    @usableFromInline var areaBytes: UInt64 = 0
    /// ceil(2^32 / objectBytes): an offset n < 2^16 is a multiple of objectBytes iff
    /// UInt32(n) &* slotMultiplier < slotMultiplier (a multiply and a compare, no division;
    /// SlabSizeClassTests checks it exhaustively for every class size).
    @usableFromInline var slotMultiplier: UInt32 = 0
    /// log2 of slabBytes (beside slotMultiplier, in the cache record's first 64 bytes): a slab
    /// starts at an object's address rounded down to it.
    @usableFromInline var slabShift: UInt32 = 0
    @usableFromInline var objectBytes = 0
    /// Bytes of each slab of the cache (a buddy block of this size, aligned to it).
    @usableFromInline var slabBytes = 0
    @usableFromInline var capacity = 0

    /// The most objects of `objectBytes` (a multiple of `alignment`) that fit in a slab after its
    /// header, the first one (so every one) at a multiple of `alignment`.
    @usableFromInline init(objectBytes: Int, slabBytes: Int, alignment: Int = 16) {
        self.objectBytes = objectBytes
        self.slabBytes = slabBytes
        firstObject = Self.firstObject(alignment)
        capacity = max(0, (slabBytes - firstObject) / objectBytes)
        areaBytes = UInt64(capacity * objectBytes)
        slotMultiplier = UInt32(((1 << 32) + UInt64(objectBytes) - 1) / UInt64(objectBytes))
        slabShift = UInt32(slabBytes.trailingZeroBitCount)
    }

    @usableFromInline init() {}

    /// The header, rounded up to the objects' alignment (16 bytes at least).
    static func firstObject(_ alignment: Int) -> Int {
        (SlabMemory.headerBytes + alignment - 1) & ~(alignment - 1)
    }

    /// The slab of this shape holding `address` (one that lies in such a slab).
    @inlinable @inline(__always) func slab(holding address: UInt64) -> UInt64 {
        (address &>> UInt64(slabShift)) &<< UInt64(slabShift)
    }

    /// Whether `offset` (from the first object, < areaBytes) is a slot start.
    @inlinable @inline(__always) func isSlotStart(_ offset: UInt64) -> Bool {
        UInt32(truncatingIfNeeded: offset) &* slotMultiplier < slotMultiplier
    }
}

/// A cache's state. Slab addresses are raw UInt64 values (0 = none); SlabMemory reads them.
///
/// The active slab (SLUB's per-cpu slab): its free objects are the cache's own list (the heap's
/// `activeFreeLists[index]`, kept beside the other caches' heads: SlabHeap.swift), so
/// allocation pops that list and a free of one of its objects pushes it, neither touching the
/// slab's header. While a slab is active its header says free head 0 and live == capacity (every
/// object belongs to the cache); it is on no partial list. Every other slab keeps its free objects
/// on its own list and its live count in its header.
@usableFromInline struct SlabCache {
    // The fast paths read and write only the first fields (kept together, ahead of the rest).
    /// The active slab (0: none, always so while poisoning is on).
    @usableFromInline var activeSlab: UInt64 = 0
    @usableFromInline var allocations = 0
    @usableFromInline var frees = 0
    /// For kmalloc-style caches: requested bytes of the live objects are not tracked per object,
    /// so this counts every request's bytes (for the log's internal-fragmentation figure).
    @usableFromInline var requestedBytesTotal = 0
    @usableFromInline var shape = SlabShape()
    /// Live objects on slabs other than the active one (the sum of their header counts): the
    /// active slab holds allocations - frees - liveOutsideActive, so whether it is empty is O(1).
    @usableFromInline var liveOutsideActive = 0
    @usableFromInline var name: StaticString = ""
    /// Every slab of the cache, doubly linked through the headers.
    @usableFromInline var allHead: UInt64 = 0
    /// The slabs other than the active one with at least one free object.
    /// (Both ends: slabs join at the tail, the next active slab is the head; linkPartial.)
    @usableFromInline var partial = SlabListEnds()
    @usableFromInline var slabCount = 0
    /// Slabs other than the active one with no live object (kept, at most `retainedEmptySlabs`,
    /// for the next allocations).
    @usableFromInline var emptySlabs = 0
    /// The kept empty slab (0: none; at most one, see `retainedEmptySlabs`).
    @usableFromInline var emptySlab: UInt64 = 0

    @usableFromInline init() {}

    /// Live objects of the cache.
    @usableFromInline var liveObjects: Int { allocations - frees }

    /// Live objects of the active slab (0 when there is none).
    @usableFromInline var activeLive: Int { allocations - frees - liveOutsideActive }
}

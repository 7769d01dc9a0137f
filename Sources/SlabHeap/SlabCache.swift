// One cache: objects of one size on slabs of its own. The generic caches serve kmalloc-style
// requests by size class; named caches serve one kind of kernel object each.

/// Names a cache of a SlabHeap (returned by `createCache`, used by `allocate(from:)`).
public struct SlabCacheID: Hashable, Sendable {
    public let index: Int
}

/// The shape of a cache's slabs, fixed when the cache is made.
@usableFromInline struct SlabShape {
    @usableFromInline var objectBytes = 0
    /// Bytes of each slab of the cache (a buddy block of this size, aligned to it).
    @usableFromInline var slabBytes = 0
    @usableFromInline var capacity = 0
    @usableFromInline var firstObject = 0
    @usableFromInline var bitmapWords = 0
    /// ceil(2^32 / objectBytes): slot = (offset * reciprocal) >> 32 for offsets < slabBytes,
    /// exact because offset * (reciprocal * objectBytes - 2^32) < 2^32 / objectBytes there.
    @usableFromInline var reciprocal: UInt64 = 0

    /// The most objects of `objectBytes` (a multiple of `alignment`) that fit in a slab after its
    /// header and slot bitmap, the first one (so every one) at a multiple of `alignment`.
    @usableFromInline init(objectBytes: Int, slabBytes: Int, alignment: Int = 16) {
        self.objectBytes = objectBytes
        self.slabBytes = slabBytes
        var capacity = (slabBytes - SlabMemory.bitmapOffset) / objectBytes
        while capacity > 0 && Self.firstObject(capacity, alignment) + capacity * objectBytes > slabBytes { capacity -= 1 }
        self.capacity = capacity
        bitmapWords = (capacity + 63) / 64
        firstObject = Self.firstObject(capacity, alignment)
        reciprocal = ((1 << 32) + UInt64(objectBytes) - 1) / UInt64(objectBytes)
    }

    @usableFromInline init() {}

    /// Header plus bitmap, rounded up to the objects' alignment (16 bytes at least).
    static func firstObject(_ capacity: Int, _ alignment: Int) -> Int {
        (SlabMemory.bitmapOffset + (capacity + 63) / 64 * 8 + alignment - 1) & ~(alignment - 1)
    }
}

/// A cache's state. Slab addresses are raw UInt64 values (0 = none); SlabMemory reads them.
@usableFromInline struct SlabCache {
    @usableFromInline var shape = SlabShape()
    @usableFromInline var name: StaticString = ""
    /// Every slab of the cache, doubly linked through the headers.
    @usableFromInline var allHead: UInt64 = 0
    /// The slabs with at least one free object.
    @usableFromInline var partialHead: UInt64 = 0
    @usableFromInline var slabCount = 0
    /// Slabs with no live object (kept, at most `retainedEmptySlabs`, for the next allocations).
    @usableFromInline var emptySlabs = 0
    /// The kept empty slab (0: none; at most one, see `retainedEmptySlabs`).
    @usableFromInline var emptySlab: UInt64 = 0
    @usableFromInline var liveObjects = 0
    @usableFromInline var allocations = 0
    @usableFromInline var frees = 0
    /// For kmalloc-style caches: requested bytes of the live objects are not tracked per object,
    /// so this counts every request's bytes (for the log's internal-fragmentation figure).
    @usableFromInline var requestedBytesTotal = 0

    @usableFromInline init() {}
}

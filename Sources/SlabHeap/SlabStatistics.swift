// What the slab layer reports: heap-wide counters and one record per cache (for the kernel's
// heap log, HeapReport, and the monitor).

import BuddyHeap

@usableFromInline struct SlabCounters {
    @usableFromInline var slabsTaken = 0
    @usableFromInline var slabBytesTaken = 0
    @usableFromInline var slabsReturned = 0
    @usableFromInline var servedByLargerClass = 0
    @usableFromInline var failedAllocations = 0
    @usableFromInline var errorsDetected = 0
    @usableFromInline var useAfterFreeWrites = 0
    @usableFromInline init() {}
}

/// One cache, as the log shows it.
public struct SlabCacheStatistics: Sendable {
    public var name: StaticString
    public var objectBytes: Int
    public var objectsPerSlab: Int
    /// Bytes of one slab of the cache.
    public var bytesPerSlab: Int
    public var slabs: Int
    public var emptySlabs: Int
    public var liveObjects: Int
    public var allocations: Int
    public var frees: Int
    public var requestedBytesTotal: Int
    /// Bytes of the cache's slabs.
    public var slabBytes: Int
}

/// The slab layer as a whole.
public struct SlabStatistics: Sendable {
    /// The smallest and largest slab sizes.
    public var slabBytes: Int
    public var largestSlabBytes: Int
    public var slabsHeld: Int
    /// Bytes of the slabs held (they differ in size per cache).
    public var slabBytesHeld: Int
    public var liveObjects: Int
    /// Object bytes of the live objects (their classes' sizes).
    public var liveObjectBytes: Int
    public var slabsTaken: Int
    public var slabsReturned: Int
    public var servedByLargerClass: Int
    public var failedAllocations: Int
    public var errorsDetected: Int
}

// The queries below change nothing but are `mutating`, like every reader of the heap's
// fixed-capacity tables: a non-mutating one made Embedded Swift (-Osize) copy the whole table,
// or the whole heap at the call, on each use (a 20 KiB frame per query, 60 KiB in the kernel's
// accessor; see ArenaTable.insertionIndex). Callers hold the heap in a `var`.
extension SlabHeap {
    /// Statistics of cache `index` (0 ..< cacheCount).
    public mutating func cacheStatistics(_ index: Int) -> SlabCacheStatistics {
        let cache = caches[index]
        return SlabCacheStatistics(
            name: cache.name, objectBytes: cache.shape.objectBytes, objectsPerSlab: cache.shape.capacity,
            bytesPerSlab: cache.shape.slabBytes,
            slabs: cache.slabCount, emptySlabs: cache.emptySlabs, liveObjects: cache.liveObjects,
            allocations: cache.allocations, frees: cache.frees,
            requestedBytesTotal: cache.requestedBytesTotal, slabBytes: cache.slabCount * cache.shape.slabBytes)
    }

    public var statistics: SlabStatistics {
        mutating get {
            var held = 0, heldBytes = 0, live = 0, liveBytes = 0
            for index in 0 ..< cacheCount {
                held += caches[index].slabCount
                heldBytes += caches[index].slabCount * caches[index].shape.slabBytes
                live += caches[index].liveObjects
                liveBytes += caches[index].liveObjects * caches[index].shape.objectBytes
            }
            return SlabStatistics(
                slabBytes: slabBytes, largestSlabBytes: 1 << largestSlabShift, slabsHeld: held, slabBytesHeld: heldBytes,
                liveObjects: live, liveObjectBytes: liveBytes,
                slabsTaken: counters.slabsTaken, slabsReturned: counters.slabsReturned,
                servedByLargerClass: counters.servedByLargerClass,
                failedAllocations: counters.failedAllocations, errorsDetected: counters.errorsDetected)
        }
    }

    /// The generic classes' count (named caches follow them).
    public var genericCacheCount: Int { genericClassCount }

    /// True when `pointer` is a live slab object (for the log: which layer served a pointer).
    public mutating func isSlabObject(_ pointer: UnsafeMutableRawPointer) -> Bool {
        guard buddy.arenaHolds(pointer) else { return false }
        return slab(holding: SlabMemory.address(pointer)) != 0
    }

    /// The object size behind a slab pointer, or nil for a pointer that is not in a slab.
    public mutating func objectBytes(of pointer: UnsafeMutableRawPointer) -> Int? {
        guard buddy.arenaHolds(pointer) else { return nil }
        let slab = slab(holding: SlabMemory.address(pointer))
        guard slab != 0 else { return nil }
        return caches[SlabMemory.cacheIndex(ofSlab: slab)].shape.objectBytes
    }
}

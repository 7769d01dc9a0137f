// `checkInvariants()`: every slab of every cache walked against the invariants listed in
// SlabHeap.swift, then the buddy heap's own checker. O(slabs * objects per slab): tests call it
// after every operation on small heaps; the checks kernel after every heap change.

import MemoryCore
import BuddyHeap

/// The first broken invariant found by `SlabHeap.checkInvariants()`.
public enum SlabInvariantViolation: Equatable, Sendable {
    case slabNotABuddyBlock(cache: Int, slab: UInt64)
    case badCookie(cache: Int, slab: UInt64)
    case wrongCache(cache: Int, slab: UInt64)
    case liveCountMismatch(cache: Int, slab: UInt64)
    case freeListBroken(cache: Int, slab: UInt64)
    case partialListMismatch(cache: Int)
    case cacheCountMismatch(cache: Int)
    case buddy(HeapInvariantViolation)
}

/// Whether `checkInvariants` also walks the buddy heap.
public enum BuddyCheck: Sendable {
    case included, skipped
}

extension SlabHeap {
    /// The first broken invariant of the slab layer and (unless `buddy` is `.skipped`) of the
    /// buddy heap beneath, or nil. The buddy walk costs O(arena bytes); the slab walk O(slabs).
    public mutating func checkInvariants(buddy scope: BuddyCheck = .included) -> SlabInvariantViolation? {
        var kept = 0
        for index in 0 ..< cacheCount {
            if let violation = checkCache(index) { return violation }
            if caches[index].emptySlab != 0 { kept += 1 }
        }
        if kept != keptEmptySlabCount { return .cacheCountMismatch(cache: cacheCount) }
        if scope == .included, let violation = buddy.checkInvariants() { return .buddy(violation) }
        return nil
    }

    private mutating func checkCache(_ index: Int) -> SlabInvariantViolation? {
        let shape = caches[index].shape
        var slabs = 0, empty = 0, live = 0, partial = 0
        var emptySlab: UInt64 = 0
        var slab = caches[index].allHead
        while slab != 0 {
            if let violation = checkSlab(slab, cache: index, shape) { return violation }
            let count = Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset))
            slabs += 1
            live += count
            if count == 0 {
                empty += 1
                emptySlab = slab
            }
            if count < shape.capacity { partial += 1 }
            guard slabs <= caches[index].slabCount else { return .cacheCountMismatch(cache: index) }
            slab = SlabMemory.load(slab, SlabMemory.allNextOffset)
        }
        var onPartial = 0
        slab = caches[index].partialHead
        while slab != 0 {
            guard Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset)) < shape.capacity, onPartial < slabs else {
                return .partialListMismatch(cache: index)
            }
            onPartial += 1
            slab = SlabMemory.load(slab, SlabMemory.partialNextOffset)
        }
        if onPartial != partial { return .partialListMismatch(cache: index) }
        let cache = caches[index]
        if slabs != cache.slabCount || live != cache.liveObjects || empty != cache.emptySlabs || empty > retainedEmptySlabs
            || emptySlab != cache.emptySlab
        {
            return .cacheCountMismatch(cache: index)
        }
        return nil
    }

    /// One slab: a live buddy block of slabBytes, its cookie and cache, bitmap and free list.
    private mutating func checkSlab(_ slab: UInt64, cache index: Int, _ shape: SlabShape) -> SlabInvariantViolation? {
        let pointer = SlabMemory.pointer(slab)
        guard buddy.blockByteCount(of: pointer) == shape.slabBytes else { return .slabNotABuddyBlock(cache: index, slab: slab) }
        guard SlabMemory.cookie(at: slab) == secret ^ slab else { return .badCookie(cache: index, slab: slab) }
        guard Int(SlabMemory.load32(slab, SlabMemory.cacheIndexOffset)) == index else {
            return .wrongCache(cache: index, slab: slab)
        }
        var allocated = 0
        for word in 0 ..< shape.bitmapWords { allocated += SlabMemory.bitmapWord(slab, word * 64).nonzeroBitCount }
        let live = Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset))
        guard allocated == live, live <= shape.capacity else { return .liveCountMismatch(cache: index, slab: slab) }
        var free = 0
        var object = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        while object != 0 {
            let offset = object &- slab &- UInt64(shape.firstObject)
            let slot = Int(offset / UInt64(shape.objectBytes))
            guard object >= slab + UInt64(shape.firstObject), slot < shape.capacity, offset % UInt64(shape.objectBytes) == 0,
                SlabMemory.bitmapWord(slab, slot) & (1 << UInt64(slot & 63)) == 0, free < shape.capacity - live
            else {
                return .freeListBroken(cache: index, slab: slab)
            }
            free += 1
            object = SlabMemory.load(object, 0)
        }
        return free == shape.capacity - live ? nil : .freeListBroken(cache: index, slab: slab)
    }
}

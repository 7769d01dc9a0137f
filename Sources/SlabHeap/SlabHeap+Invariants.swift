// `checkInvariants()`: every slab of every cache walked against the invariants listed in
// SlabHeap.swift, then the buddy heap's own checker. O(slabs * objects per slab): tests call it
// after every operation on small heaps; the checks kernel after every heap change. A free list
// of capacity links with no repeat is implied by "at most capacity links, all slot starts": a
// cycle would exceed the bound.

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
    /// The granule map disagrees with the slabs (slot -1: a byte no mapped slab explains, -2: the
    /// recent arena's bias is stale; SlabHeap+GranuleMap.swift).
    case granuleMapMismatch(slot: Int)
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
        var kept = 0, active = 0
        for index in 0 ..< cacheCount {
            if let violation = checkCache(index) { return violation }
            if caches[index].emptySlab != 0 { kept += 1 }
            if caches[index].activeSlab != 0 { active += 1 }
        }
        if kept != keptEmptySlabCount || active != activeSlabCount { return .cacheCountMismatch(cache: cacheCount) }
        if let violation = checkGranuleMap() { return violation }
        if scope == .included, let violation = buddy.checkInvariants() { return .buddy(violation) }
        return nil
    }

    private mutating func checkCache(_ index: Int) -> SlabInvariantViolation? {
        let shape = caches[index].shape
        let activeSlab = caches[index].activeSlab
        var slabs = 0, empty = 0, liveOutside = 0, activeLive = 0, partial = 0, activeSeen = false
        var emptySlab: UInt64 = 0
        var slab = caches[index].allHead
        while slab != 0 {
            if let violation = checkSlab(slab, cache: index, shape) { return violation }
            let count = Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset))
            slabs += 1
            if slab == activeSlab {
                // The header says "all the cache's"; the cache's list holds its free objects.
                guard count == shape.capacity, SlabMemory.load(slab, SlabMemory.freeHeadOffset) == 0,
                    let free = freeListLength(activeFreeLists[index], slab: slab, shape)
                else { return .freeListBroken(cache: index, slab: slab) }
                activeLive = shape.capacity - free
                activeSeen = true
            } else {
                liveOutside += count
                if count == 0 {
                    empty += 1
                    emptySlab = slab
                }
                if count < shape.capacity { partial += 1 }
            }
            guard slabs <= caches[index].slabCount else { return .cacheCountMismatch(cache: index) }
            slab = SlabMemory.load(slab, SlabMemory.allNextOffset)
        }
        if activeSlab == 0 ? activeFreeLists[index] != 0 : !activeSeen { return .freeListBroken(cache: index, slab: activeSlab) }
        var onPartial = 0
        var previous: UInt64 = 0
        slab = caches[index].partial.head
        while slab != 0 {
            guard slab != activeSlab, Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset)) < shape.capacity,
                onPartial < slabs, SlabMemory.load(slab, SlabMemory.partialPrevOffset) == previous
            else {
                return .partialListMismatch(cache: index)
            }
            onPartial += 1
            previous = slab
            slab = SlabMemory.load(slab, SlabMemory.partialNextOffset)
        }
        if onPartial != partial || previous != caches[index].partial.tail { return .partialListMismatch(cache: index) }
        let cache = caches[index]
        if slabs != cache.slabCount || liveOutside != cache.liveOutsideActive || liveOutside + activeLive != cache.liveObjects
            || empty != cache.emptySlabs || empty > retainedEmptySlabs || emptySlab != cache.emptySlab
        {
            return .cacheCountMismatch(cache: index)
        }
        return nil
    }

    /// One slab: a live buddy block of slabBytes, its cookie and cache, its own list and count.
    private mutating func checkSlab(_ slab: UInt64, cache index: Int, _ shape: SlabShape) -> SlabInvariantViolation? {
        let pointer = SlabMemory.pointer(slab)
        guard buddy.blockByteCount(of: pointer) == shape.slabBytes else { return .slabNotABuddyBlock(cache: index, slab: slab) }
        guard SlabMemory.cookie(at: slab) == secret ^ slab else { return .badCookie(cache: index, slab: slab) }
        guard SlabMemory.cacheIndex(ofSlab: slab) == index else {
            return .wrongCache(cache: index, slab: slab)
        }
        let live = Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset))
        guard live <= shape.capacity else { return .liveCountMismatch(cache: index, slab: slab) }
        guard let free = freeListLength(SlabMemory.load(slab, SlabMemory.freeHeadOffset), slab: slab, shape) else {
            return .freeListBroken(cache: index, slab: slab)
        }
        let consistent = free == shape.capacity - live || caches[index].activeSlab == slab
        return consistent ? nil : .liveCountMismatch(cache: index, slab: slab)
    }

    /// The length of the free list from `head`, or nil unless every link is a distinct slot start
    /// of `slab` carrying the free marker (at most capacity links: a longer list has a cycle or a
    /// repeat). `mutating` only so the heap is read in place (see SlabStatistics.swift).
    private mutating func freeListLength(_ head: UInt64, slab: UInt64, _ shape: SlabShape) -> Int? {
        var free = 0
        var object = head
        while object != 0 {
            let offset = object &- slab &- UInt64(shape.firstObject)
            guard offset < shape.areaBytes, offset % UInt64(shape.objectBytes) == 0, free < shape.capacity,
                SlabMemory.load(object, SlabMemory.markerOffset) == SlabMemory.marker(object, secret: secret)
            else { return nil }
            free += 1
            object = SlabMemory.load(object, 0)
        }
        return free
    }
}

// The slab heap as one heap for its callers (the kernel heap): block sizes, the debug switches
// and one statistics snapshot in the buddy heap's vocabulary, with every slab object counted as
// the allocation it is (a slab is the buddy heap's block, not the caller's).

import MemoryCore
import BuddyHeap

extension SlabHeap {
    /// Bytes of one arena of the buddy heap beneath.
    public var arenaBytes: Int { buddy.arenaBytes }
    /// The largest block the buddy heap beneath hands out (larger requests take frames directly).
    public var largestBlockBytes: Int { buddy.largestBlockBytes }

    /// The bytes of the live allocation that starts at `pointer`: its object size when a slab
    /// holds it, its block (or large) size when the buddy heap does; nil when no live
    /// allocation starts there (a freed object, an interior or a foreign pointer).
    public mutating func blockByteCount(of pointer: UnsafeMutableRawPointer) -> Int? {
        guard buddy.arenaHolds(pointer) else { return buddy.blockByteCount(of: pointer) }
        let address = SlabMemory.address(pointer), slab = slab(holding: address)
        guard slab != 0 else { return buddy.blockByteCount(of: pointer) }
        let index = SlabMemory.cacheIndex(ofSlab: slab)
        let shape = caches[index].shape
        let offset = address &- slab &- UInt64(shape.firstObject)
        guard offset < shape.areaBytes, shape.isSlotStart(offset), isLive(address, slab: slab, cache: index) else { return nil }
        return shape.objectBytes
    }

    /// The buddy order of a live block the buddy heap serves directly; nil for slab objects and
    /// large allocations.
    public mutating func blockOrder(of pointer: UnsafeMutableRawPointer) -> BlockOrder? {
        isSlabObject(pointer) ? nil : buddy.blockOrder(of: pointer)
    }

    /// The buddy heap's snapshot with the slab layer folded in: allocations, frees, live
    /// allocations and requested/granted bytes count objects (not the slabs holding them); `liveBlockBytes` counts the live
    /// objects' class sizes plus the buddy blocks served directly; invalid frees and use-after-free
    /// writes add the slab layer's. Arena, split, merge and peak figures stay the buddy heap's
    /// (the peak counts whole slabs: bytes the heap held in blocks, not bytes callers held).
    /// `mutating` only to be read in place (see SlabStatistics.swift).
    public var heapStatistics: HeapStatistics {
        mutating get {
            var whole = buddy.statistics
            let slabs = statistics
            var allocations = 0, frees = 0, granted = 0, requested = 0
            for index in 0 ..< cacheCount {
                allocations += caches[index].allocations
                frees += caches[index].frees
                granted += caches[index].allocations * caches[index].shape.objectBytes
                requested += caches[index].requestedBytesTotal
            }
            whole.liveAllocations += slabs.liveObjects - slabs.slabsHeld
            whole.liveBlockBytes += slabs.liveObjectBytes - slabs.slabBytesHeld
            whole.allocations += allocations - slabs.slabsTaken
            whole.frees += frees - slabs.slabsReturned
            whole.requestedBytesTotal += requested - counters.slabBytesTaken
            whole.grantedBytesTotal += granted - counters.slabBytesTaken
            whole.failedAllocations += slabs.failedAllocations
            whole.invalidFrees += slabs.errorsDetected
            whole.useAfterFreeWrites += counters.useAfterFreeWrites
            return whole
        }
    }

    /// The buddy heap's switches; `.poisonFreed` also poisons slab objects (every object already
    /// free when it is turned on, then each one freed), verified when the object is handed out.
    /// While it is on no slab is active, so every slab operation takes the slow path (the fast
    /// paths never test the switch).
    public var debugOptions: HeapDebugOptions {
        get { buddy.debugOptions }
        set {
            let turnedOn = newValue.contains(.poisonFreed) && !poisonObjects
            buddy.debugOptions = newValue
            if turnedOn { for index in 0 ..< cacheCount { deactivate(cache: index) } }
            poisonObjects = newValue.contains(.poisonFreed)
            if turnedOn { poisonEveryFreeObject() }
        }
    }

    /// Merges every cached buddy block (the slab layer has no deferred work of its own).
    public mutating func coalesce() { buddy.coalesce() }

    private mutating func poisonEveryFreeObject() {
        for index in 0 ..< cacheCount {
            let objectBytes = caches[index].shape.objectBytes
            var slab = caches[index].allHead
            while slab != 0 {
                SlabMemory.poisonFreeObjects(from: SlabMemory.load(slab, SlabMemory.freeHeadOffset), objectBytes: objectBytes)
                slab = SlabMemory.load(slab, SlabMemory.allNextOffset)
            }
        }
    }
}

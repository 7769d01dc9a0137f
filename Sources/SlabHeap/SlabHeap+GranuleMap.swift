// The granule map: which cache's slab covers each granule (smallest-slab-sized piece) of a few
// arenas, one byte per granule, so that `free` finds an object's cache and slab without reading
// the slab's header (SLUB reads the struct page beside the object instead; here the header line is
// a D1 miss per free in a random-free workload: callgrind, slab_larson, 0.86 read misses per step
// on the cookie load).
//
// Layout: `granuleCaches` (granuleMapBytes bytes, in the heap struct, read in place) is cut into
// regions of `granulesPerArena` bytes. Region s (s < granuleMapSlots) describes the arena whose
// base is `granuleMapArenas[s]`; the region after the last slot is never written and stays zero
// (the one an arena without a slot looks at). Byte g of a region is `unknownCache` (0xFF), or c
// when granule g of that arena lies in a slab of cache c (c < 64; slabs are aligned to their size,
// so the slab starts at the address rounded down to the cache's slab size). The byte is the cache
// index itself and the lookup adds a precomputed bias (recentMapBias) to address >> granule shift:
// the free's store to its cache's list waits on this chain (a pair's next allocation loads that
// list), so it is kept to shift, add, mask, load.
//
// Invariants (checkInvariants: checkGranuleMap):
//   a byte c != 0xFF at (slot s, granule g)  <=>  a slab of cache c covering that granule is
//     on cache c's all-list, lies in arena granuleMapArenas[s] and was mapped when it was added;
//     every granule of a mapped slab holds c, every granule of an unmapped one 0xFF
//   granuleMapSlabCounts[s] == mapped slabs in slot s; slots with a count are distinct arenas
//   recentMapBias == the region of recentArena (the unknown region when it has no slot) minus
//     recentArena >> granule shift
// So a byte other than 0xFF is proof enough that the pointer lies in a live slab of that cache
// (only the heap writes the map). 0xFF proves nothing: the free takes the cookie path
// (`freeUnmapped`), as every free did before the map, so an arena that found no free slot (more
// arenas than slots), or slabs added before their arena had one, still work.
//
// A slot is given to an arena when a slab is added there and the arena has none; a slot whose
// count is 0 (all its bytes 0xFF) may be given to another arena.

// Every query here is `mutating` although it changes nothing, so that `self` is passed by
// reference: specialised in the embedded kernel, a non-mutating one copied the whole 20 KiB heap
// onto the stack on every call (a double fault on the kernel stack in `make run`).

import MemoryCore

/// Bytes of the granule map (a power of two, so a masked index needs no bounds check).
@usableFromInline let granuleMapBytes = 4096
/// The granule map's byte for "no mapped slab here" (cache indices are < 64).
@usableFromInline let unknownCache: UInt8 = 0xFF
/// Arenas the granule map describes at most (the kernel's 8 MiB arenas of 16 KiB granules:
/// 512 bytes each, so 7 of them: 56 MiB of heap).
@usableFromInline let granuleMapSlotCapacity = 8

extension SlabHeap {
    /// Slots for arenas of 2^arenaShift bytes cut in granules of 2^granuleShift: as many regions as
    /// fit with one left over for the zero region (0: no map, every free takes the cookie path).
    static func granuleMapSlotCount(arenaShift: Int, granuleShift: Int) -> Int {
        let perArena = 1 << (arenaShift - granuleShift)
        return max(0, min(granuleMapSlotCapacity, granuleMapBytes / perArena - 1))
    }

    /// The cache byte of `address` (inside the recent arena): its cache's index, or unknownCache
    /// when the map does not know (not a mapped slab). Reads one byte of the heap struct.
    @inlinable @inline(__always) mutating func mappedCacheByte(of address: UInt64) -> UInt8 {
        let granule = Int(truncatingIfNeeded: address &>> UInt64(truncatingIfNeeded: smallestSlabShift))
        return granuleCaches[(granule &+ recentMapBias) & (granuleMapBytes - 1)]
    }

    /// recentMapBias for `arena`: its region's offset minus its first granule number.
    mutating func granuleMapBias(ofArena arena: UInt64) -> Int {
        granuleMapOffset(ofArena: arena) &- Int(truncatingIfNeeded: arena &>> UInt64(smallestSlabShift))
    }

    /// The offset of `arena`'s region, or the zero region's when it has no slot.
    mutating func granuleMapOffset(ofArena arena: UInt64) -> Int {
        granuleMapSlot(ofArena: arena).map { $0 * granulesPerArena } ?? granuleMapSlots * granulesPerArena
    }

    /// The slot describing `arena`, if any.
    mutating func granuleMapSlot(ofArena arena: UInt64) -> Int? {
        for slot in 0 ..< granuleMapSlots where granuleMapArenas[slot] == arena { return slot }
        return nil
    }

    /// Makes `arena` the recent one (`noArena`: none), its map region with it.
    @usableFromInline mutating func setRecentArena(_ arena: UInt64) {
        recentArena = arena
        recentMapBias = granuleMapBias(ofArena: arena)
    }

    /// Writes cache `index` into the granules of the new `slab` (slabBytes of it), giving its arena
    /// a slot when it has none and one is unused; without a slot the slab stays unmapped.
    @usableFromInline mutating func mapSlab(_ slab: UInt64, bytes: Int, cache index: Int) {
        let arena = slab & arenaMask
        guard let slot = granuleMapSlot(ofArena: arena) ?? unusedGranuleMapSlot() else { return }
        granuleMapArenas[slot] = arena
        granuleMapSlabCounts[slot] += 1
        fillGranules(of: slab, bytes: bytes, slot: slot, with: UInt8(index))
        recentMapBias = granuleMapBias(ofArena: recentArena)  // the slot may be new, or reused
    }

    /// Clears the granules of `slab` (about to go back to the buddy heap) if it was mapped.
    @usableFromInline mutating func unmapSlab(_ slab: UInt64, bytes: Int) {
        guard let slot = granuleMapSlot(ofArena: slab & arenaMask) else { return }
        let first = slot * granulesPerArena + granuleIndex(of: slab)
        guard granuleCaches[first] != unknownCache else { return }  // added before its arena had this slot
        granuleMapSlabCounts[slot] -= 1
        fillGranules(of: slab, bytes: bytes, slot: slot, with: unknownCache)
    }

    private mutating func unusedGranuleMapSlot() -> Int? {
        for slot in 0 ..< granuleMapSlots where granuleMapSlabCounts[slot] == 0 { return slot }
        return nil
    }

    /// Granule of `address` within its arena.
    mutating func granuleIndex(of address: UInt64) -> Int {
        Int(truncatingIfNeeded: (address & ~arenaMask) >> UInt64(smallestSlabShift))
    }

    private mutating func fillGranules(of slab: UInt64, bytes: Int, slot: Int, with value: UInt8) {
        let first = slot * granulesPerArena + granuleIndex(of: slab)
        for granule in first ..< first + bytes >> smallestSlabShift { granuleCaches[granule] = value }
    }

    /// The first broken rule of the granule map (see the file comment), or nil. O(map bytes + slabs).
    mutating func checkGranuleMap() -> SlabInvariantViolation? {
        var mappedSlabs = InlineArray<8, Int>(repeating: 0)
        var mappedGranules = 0
        for index in 0 ..< cacheCount {
            var slab = caches[index].allHead
            var steps = 0
            while slab != 0 && steps <= caches[index].slabCount {
                if let slot = granuleMapSlot(ofArena: slab & arenaMask) {
                    let first = slot * granulesPerArena + granuleIndex(of: slab)
                    let count = caches[index].shape.slabBytes >> smallestSlabShift
                    let value = granuleCaches[first]
                    for granule in first ..< first + count where granuleCaches[granule] != value {
                        return .granuleMapMismatch(slot: slot)
                    }
                    if value != unknownCache {
                        guard value == UInt8(index) else { return .granuleMapMismatch(slot: slot) }
                        mappedSlabs[slot] += 1
                        mappedGranules += count
                    }
                }
                slab = SlabMemory.load(slab, SlabMemory.allNextOffset)
                steps += 1
            }
        }
        var nonzero = 0
        for granule in 0 ..< granuleMapBytes where granuleCaches[granule] != unknownCache {
            if granule >= granuleMapSlots * granulesPerArena { return .granuleMapMismatch(slot: granuleMapSlots) }
            nonzero += 1
        }
        // Every nonzero byte belongs to a mapped slab of its cache (counts agree, and the mapped
        // slabs' granules are disjoint), and each slot's count is its mapped slabs.
        if nonzero != mappedGranules { return .granuleMapMismatch(slot: -1) }
        for slot in 0 ..< granuleMapSlots {
            if granuleMapSlabCounts[slot] != mappedSlabs[slot] { return .granuleMapMismatch(slot: slot) }
            guard granuleMapSlabCounts[slot] > 0 else { continue }
            for other in 0 ..< slot where granuleMapSlabCounts[other] > 0 && granuleMapArenas[other] == granuleMapArenas[slot] {
                return .granuleMapMismatch(slot: slot)
            }
        }
        if recentArena != Self.noArena && recentMapBias != granuleMapBias(ofArena: recentArena) {
            return .granuleMapMismatch(slot: -2)
        }
        return nil
    }
}

// Questions a layer above the buddy system (SlabHeap) asks before it reads memory at an address
// derived from a pointer it was given.

import MemoryCore

extension BuddyHeap {
    /// True when `pointer` lies inside one of the heap's arenas, so that any address in the same
    /// arena may be read (an arena is aligned to its size: the candidate is pointer & ~(arena - 1)).
    public mutating func arenaHolds(_ pointer: UnsafeMutableRawPointer) -> Bool {
        let arena = VirtualAddress(UInt64(UInt(bitPattern: pointer)) & core.geometry.arenaBaseMask)
        return arena.raw == core.recentArena || core.arenas.holds(arena)
    }
}

extension BuddyHeap {
    /// The live blocks (large allocations aside) of the held arena containing `pointer`: the slab
    /// layer asks so that the empty slabs it keeps never pin an arena the heap would give back.
    /// Precondition: `arenaHolds(pointer)`.
    public func liveBlockCount(inArenaOf pointer: UnsafeMutableRawPointer) -> Int {
        core.liveBlockCount(arena: VirtualAddress(UInt64(UInt(bitPattern: pointer)) & core.geometry.arenaBaseMask))
    }
}

// Growth and shrinkage: arenas enter with their carved metadata marked allocated and the rest as
// maximal free blocks; they leave only when entirely free and fully coalesced, at which point
// their free blocks are exactly the maximal decomposition of [reservedBytes, arenaBytes).

import MemoryCore

extension BuddyCore {
    @usableFromInline var canAddArena: Bool { !arenas.isFull }

    /// Takes over the arena at `base` (from the source). Returns false, recording an event and
    /// changing nothing else, when the source broke its contract: misaligned, already held, or
    /// overlapping a large allocation. Precondition: canAddArena.
    @usableFromInline mutating func addArena(_ base: VirtualAddress) -> Bool {
        let geometry = self.geometry
        let bytes = geometry.arenaBytes
        if !base.isAligned(to: bytes) || arenas.holds(base) || large.overlaps(base: base, byteCount: Int(bytes)) {
            counters.sourceContractViolations += 1
            lastEvent = .sourceReturnedBadArena(base)
            return false
        }
        BlockMemory.fill(base, byteCount: Int(geometry.nodeTableBytes), with: 0)
        setLiveBlockCount(0, arena: base)
        geometry.forEachMaximalBlock(from: 0, to: geometry.reservedBytes) { offset, order in
            setState(.allocated, arena: base, node: geometry.node(offset: offset, order: order))
        }
        let poison = debugOptions.contains(.poisonFreed)
        geometry.forEachMaximalBlock(from: geometry.reservedBytes, to: bytes) { offset, order in
            let block = VirtualAddress(base.raw + offset)
            setState(.free, arena: base, node: geometry.node(offset: offset, order: order))
            if poison { BlockMemory.fill(block, byteCount: BlockOrder(order).byteCount, with: HeapDebugOptions.poisonByte) }
            freeLists.push(block, order: order)
        }
        arenas.insert(base)
        emptyArenaCount += 1
        counters.arenasAcquired += 1
        counters.peakArenasHeld = max(counters.peakArenasHeld, arenas.count)
        return true
    }

    /// Detaches one entirely free arena beyond the first `retaining` empty ones (the highest
    /// addressed goes first) and returns its base for the source, or nil when there is none.
    /// Drains the caches first so that the arena is fully coalesced.
    @usableFromInline mutating func detachEmptyArena(retaining: Int) -> VirtualAddress? {
        if emptyArenaCount <= retaining { return nil }
        drainCaches()
        var index = arenas.count - 1
        while index >= 0 {
            let base = arenas[index]
            if liveBlockCount(arena: base) == 0 {
                unlinkWholeArena(base)
                arenas.remove(at: index)
                if recentArena == base.raw { recentArena = BuddyCore.noRecentArena }
                emptyArenaCount -= 1
                counters.arenasReleased += 1
                return base
            }
            index -= 1
        }
        preconditionFailure("BuddyHeap: empty arena count exceeds the empty arenas held")
    }

    /// Takes the free blocks of an entirely free, coalesced arena off the free lists.
    private mutating func unlinkWholeArena(_ base: VirtualAddress) {
        let geometry = self.geometry
        geometry.forEachMaximalBlock(from: geometry.reservedBytes, to: geometry.arenaBytes) { offset, order in
            let node = geometry.node(offset: offset, order: order)
            precondition(state(arena: base, node: node) == .free, "BuddyHeap: empty arena not coalesced")
            freeLists.remove(VirtualAddress(base.raw + offset), order: order)
        }
    }

    // MARK: Large allocations

    /// Records a region from the source's allocateLarge. Returns false (event recorded, nothing
    /// else changed) when it is misaligned or overlaps an arena or a tracked region.
    /// Precondition: the large table is not full.
    @usableFromInline mutating func recordLarge(_ allocation: LargeAllocation, alignment: Int) -> Bool {
        // large.overlaps also refuses a region that wraps past 2^64, so it goes before anything
        // that computes the region's end.
        if !allocation.base.isAligned(to: UInt64(alignment))
            || large.overlaps(base: allocation.base, byteCount: allocation.byteCount) || overlapsArena(allocation)
        {
            counters.sourceContractViolations += 1
            lastEvent = .sourceReturnedBadLargeRegion(allocation.base)
            return false
        }
        large.insert(allocation)
        counters.allocations += 1
        counters.liveLargeBytes += allocation.byteCount
        counters.requestedBytesTotal += allocation.requestedByteCount
        liveRequestedBytes += allocation.requestedByteCount
        counters.grantedBytesTotal += allocation.byteCount
        notePeak()
        return true
    }

    /// True when some held arena intersects the region. Mutating only so the core is not copied
    /// (see ArenaTable.insertionIndex).
    private mutating func overlapsArena(_ allocation: LargeAllocation) -> Bool {
        let first = arenas.insertionIndex(of: geometry.arenaBase(of: allocation.base))
        return first < arenas.count && arenas[first].raw < allocation.end.raw
    }
}

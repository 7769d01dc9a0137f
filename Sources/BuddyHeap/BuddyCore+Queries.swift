// Read-only questions about pointers and the heap as a whole.

import MemoryCore

extension BuddyCore {
    /// The block (or large allocation) size behind a pointer `allocate` returned and that is
    /// still live; nil for anything else.
    @usableFromInline func blockByteCount(of address: VirtualAddress) -> Int? {
        var core = self
        switch try? core.locate(address) {
        case .block(_, _, let order, _): return BlockOrder(order).byteCount - trailerBytes
        case .large(let index): return large[index].byteCount
        case nil: return nil
        }
    }

    /// The order of the live block at `address`; nil for large allocations and anything else.
    @usableFromInline func blockOrder(of address: VirtualAddress) -> BlockOrder? {
        var core = self
        if case .block(_, _, let order, _) = try? core.locate(address) { return BlockOrder(order) }
        return nil
    }

    @usableFromInline var statistics: HeapStatistics {
        var snapshot = counters
        for order in 0 ..< snapshot.freeBlocks.orderCount {
            snapshot.freeBlocks[BlockOrder(order)] = freeLists.counts[order]
            snapshot.cachedBlocks[BlockOrder(order)] = cacheLists.counts[order]
        }
        snapshot.liveAllocations = counters.allocations - counters.frees
        snapshot.liveRequestedBytes = trailerBytes != 0 ? liveRequestedBytes : nil
        snapshot.arenasHeld = arenas.count
        snapshot.emptyArenasHeld = emptyArenaCount
        snapshot.arenaBytes = arenas.count * Int(geometry.arenaBytes)
        snapshot.metadataBytes = arenas.count * Int(geometry.reservedBytes)
        return snapshot
    }
}

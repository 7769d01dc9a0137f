// Read-only questions about pointers and the heap as a whole. They are `mutating`, changing
// nothing, so the tables are read in place (see ArenaTable.insertionIndex): a non-mutating query
// copied the whole core (4.7 KiB) to call `locate`, and the whole table to read a count.

import MemoryCore

extension BuddyCore {
    /// The block (or large allocation) size behind a pointer `allocate` returned and that is
    /// still live; nil for anything else.
    @usableFromInline mutating func blockByteCount(of address: VirtualAddress) -> Int? {
        switch try? locate(address) {
        case .block(_, _, let order, _): return BlockOrder(order).byteCount - trailerBytes
        case .large(let index): return large[index].byteCount
        case nil: return nil
        }
    }

    /// The order of the live block at `address`; nil for large allocations and anything else.
    @usableFromInline mutating func blockOrder(of address: VirtualAddress) -> BlockOrder? {
        if case .block(_, _, let order, _) = try? locate(address) { return BlockOrder(order) }
        return nil
    }

    @usableFromInline var statistics: HeapStatistics {
        mutating get {
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
}

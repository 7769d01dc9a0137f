// Freeing: decode the pointer (which arena, which block, which state) touching only the arena
// table and the node table, reject it with a typed error before anything changes, then either
// cache the block (O(1)) or merge it with free buddies up the tree (at most
// largestBlockOrder - order merges; the buddy test is one 2-bit read).

import MemoryCore

extension BuddyCore {
    /// Where `address` points, or the reason it cannot be freed. Reads nothing outside the heap's
    /// own tables and arenas: a foreign pointer is rejected by the arena table lookup. Changes
    /// nothing; `mutating` so the tables are read in place (see ArenaTable.insertionIndex).
    @inline(__always) mutating func locate(_ address: VirtualAddress) throws(HeapError) -> FreeTarget {
        let arena = geometry.arenaBase(of: address)
        if arena.raw == recentArena || arenas.holds(arena) {
            if address.raw & UInt64(minimumBlockBytes - 1) != 0 { throw .misalignedPointer(address) }
            let offset = address.raw &- arena.raw
            if offset < geometry.reservedBytes { throw .heapMetadataPointer(address) }
            if let block = blockStarting(at: offset, arena: arena, likelyOrder: recentOrder) {
                if block.state != .allocated { throw .doubleFree(address) }
                return .block(arena: arena, node: block.node, order: block.order, address: address)
            }
            let block = blockContaining(offset: offset, arena: arena)
            let start = self.address(arena: arena, node: block.node, order: block.order)
            if block.state == .allocated { throw .interiorPointer(address, blockStart: start) }
            throw .neverAllocated(address)
        }
        if let index = large.index(containing: address) {
            let allocation = large[index]
            if allocation.base != address { throw .interiorPointer(address, blockStart: allocation.base) }
            return .large(index: index)
        }
        throw .foreignPointer(address)
    }

    /// Frees the allocation at `address`, or throws (counting the error) with nothing changed.
    @usableFromInline mutating func free(_ address: VirtualAddress) throws(HeapError) -> FreeOutcome {
        let target: FreeTarget
        do {
            target = try locate(address)
        } catch {
            counters.invalidFrees += 1
            throw error
        }
        switch target {
        case .block(let arena, let node, let order, let block):
            recentArena = arena.raw
            releaseAllocated(block, arena: arena, node: node, order: order)
            return emptyArenaCount > retainedEmptyArenas ? .surplusEmptyArenas : .done
        case .large(let index):
            let allocation = large.remove(at: index)
            counters.frees += 1
            counters.liveLargeBytes -= allocation.byteCount
            liveRequestedBytes -= allocation.requestedByteCount
            return .releaseLarge(allocation)
        }
    }

    /// Takes back an allocated block: accounting, poison, then cache or merge.
    @inline(__always) private mutating func releaseAllocated(
        _ block: VirtualAddress, arena: VirtualAddress, node: Int, order: Int
    ) {
        noteTakenBack(arena: arena, order: order)
        if trailerBytes != 0 { checkTrailerOnFree(block, order: order) }
        if debugOptions.contains(.poisonFreed) {
            BlockMemory.fill(block, byteCount: BlockOrder(order).byteCount, with: HeapDebugOptions.poisonByte)
        }
        if cacheLists.counts[order] < cacheLimits[order] {
            changeState(from: .allocated, to: .cached, arena: arena, node: node)
            cacheLists.push(block, order: order)
        } else {
            mergeAndInsert(block, arena: arena, node: node, order: order)
        }
    }

    /// Accounting for an allocated block coming back (before it is cached or merged).
    @inlinable @inline(__always) mutating func noteTakenBack(arena: VirtualAddress, order: Int) {
        let live = liveBlockCount(arena: arena) &- 1
        setLiveBlockCount(live, arena: arena)
        if live == 0 { emptyArenaCount += 1 }
        counters.frees &+= 1
        counters.liveBlockBytes &-= BlockOrder(order).byteCount
    }

    /// Merges the unlisted block with its buddy while the buddy is a free or cached block of the
    /// same order, then puts the result on its free list. Afterwards its buddy is not free.
    mutating func mergeAndInsert(_ block: VirtualAddress, arena: VirtualAddress, node: Int, order: Int) {
        var block = block
        var node = node
        var order = order
        let poison = debugOptions.contains(.poisonFreed)
        while order < geometry.rootOrder {
            let buddyNode = node ^ 1
            let size = UInt64(1) &<< UInt64(truncatingIfNeeded: order &+ minimumBlockShift)
            let buddy = VirtualAddress(block.raw ^ size)
            let buddyState = state(arena: arena, node: buddyNode)
            if buddyState == .free {
                freeLists.remove(buddy, order: order)
            } else if buddyState == .cached {
                cacheLists.remove(buddy, order: order)
            } else {
                break
            }
            setState(.notABlock, arena: arena, node: buddyNode)
            setState(.notABlock, arena: arena, node: node)
            if poison {
                // The upper half's links become the middle of the merged block: re-poison them.
                BlockMemory.fill(VirtualAddress(block.raw | size), byteCount: 16, with: HeapDebugOptions.poisonByte)
            }
            counters.merges &+= 1
            block = VirtualAddress(block.raw & ~size)
            node &>>= 1
            order &+= 1
        }
        setState(.free, arena: arena, node: node)
        freeLists.push(block, order: order)
    }

    /// Merges every cached block; afterwards the heap is fully coalesced (no cached blocks, no
    /// free buddies). O(cached blocks * orders), bounded by the cache capacity.
    @usableFromInline mutating func drainCaches() {
        var order = 0
        while order <= cachedOrderLimit {
            while let block = cacheLists.pop(order: order) {
                let location = node(of: block, order: order)
                mergeAndInsert(block, arena: location.arena, node: location.node, order: order)
            }
            order += 1
        }
    }
}

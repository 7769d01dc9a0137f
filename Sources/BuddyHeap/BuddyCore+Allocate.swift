// Allocation: cache pop (O(1)), else the smallest non-empty free list (one bit scan) split down
// to the requested order (at most largestBlockOrder - order splits), else drain the caches and
// try again; nil tells the wrapper to grow the heap.

import MemoryCore

extension BuddyCore {
    /// The fast path of `allocate`: a block from the held arenas, or nil when the request is
    /// invalid, large, or needs a new arena (the wrapper's slow path sorts those out). One
    /// mutating call, so the core is never copied across the module boundary.
    @usableFromInline mutating func allocateFromHeldArenas(byteCount: Int, alignment: Int) -> VirtualAddress? {
        guard case .block(let order) = route(byteCount: byteCount, alignment: alignment) else { return nil }
        return allocateBlock(order: order, requested: byteCount)
    }

    /// A block of `order` for a request of `requested` bytes, or nil when no held arena has room.
    @inline(__always) @usableFromInline
    mutating func allocateBlock(order: BlockOrder, requested: Int) -> VirtualAddress? {
        let order = order.raw
        if order <= cachedOrderLimit, let block = cacheLists.pop(order: order) {
            let location = node(of: block, order: order)
            changeState(from: .cached, to: .allocated, arena: location.arena, node: location.node)
            handOut(block, arena: location.arena, order: order, requested: requested)
            return block
        }
        if let source = freeLists.lowestNonEmptyOrder(atLeast: order) {
            return split(from: source, to: order, requested: requested)
        }
        if !cacheLists.isEmpty {
            drainCaches()
            if let source = freeLists.lowestNonEmptyOrder(atLeast: order) {
                return split(from: source, to: order, requested: requested)
            }
        }
        return nil
    }

    /// Pops a free block of `source` order and splits it down to `target`: the lower half is
    /// kept, each upper half goes on the free list of its order. Its buddy (the lower half) is
    /// split or allocated, so no two free buddies appear.
    private mutating func split(from source: Int, to target: Int, requested: Int) -> VirtualAddress {
        guard let block = freeLists.pop(order: source) else {
            preconditionFailure("BuddyHeap: non-empty mask names an empty free list")
        }
        let location = node(of: block, order: source)
        let arena = location.arena
        var node = location.node
        var order = source
        while order > target {
            setState(.notABlock, arena: arena, node: node)
            order &-= 1
            node &<<= 1
            let upper = VirtualAddress(block.raw &+ (1 &<< UInt64(truncatingIfNeeded: order &+ minimumBlockShift)))
            setState(.free, arena: arena, node: node &+ 1)
            freeLists.push(upper, order: order)
        }
        counters.splits &+= source - target
        setState(.allocated, arena: arena, node: node)
        handOut(block, arena: arena, order: target, requested: requested)
        return block
    }

    /// Accounting for a block leaving the heap's hands, then the debug fills.
    @inlinable @inline(__always) mutating func handOut(
        _ block: VirtualAddress, arena: VirtualAddress,
        order: Int, requested: Int
    ) {
        recentOrder = order
        let live = liveBlockCount(arena: arena)
        if live == 0 { emptyArenaCount -= 1 }
        setLiveBlockCount(live &+ 1, arena: arena)
        let bytes = BlockOrder(order).byteCount
        counters.allocations &+= 1
        counters.liveBlockBytes &+= bytes
        counters.requestedBytesTotal &+= requested
        counters.grantedBytesTotal &+= bytes
        notePeak()
        if !debugOptions.isEmpty { applyDebugOnHandOut(block, order: order) }
        if trailerBytes != 0 { writeTrailer(block, order: order, requested: requested) }
    }

    @inlinable @inline(__always) mutating func notePeak() {
        let live = counters.liveBlockBytes &+ counters.liveLargeBytes
        if live > counters.peakLiveBytes { counters.peakLiveBytes = live }
    }
}

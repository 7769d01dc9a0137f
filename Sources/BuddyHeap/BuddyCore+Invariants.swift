// checkInvariants(): walks every structure and returns the first violation of the invariants the
// module comment states, without trapping and without changing anything. Link pointers are
// validated against the arena table before they are followed, so a corrupted list is reported,
// not chased into foreign memory.

import MemoryCore

/// What the arena walk counted, compared afterwards with the lists and the global counters.
struct BlockCensus {
    var free: OrderCounts
    var cached: OrderCounts
    var liveBlocks = 0
    var liveBlockBytes = 0
    var liveRequestedBytes = 0
    var emptyArenas = 0

    init(orderCount: Int) {
        free = OrderCounts(orderCount: orderCount)
        cached = OrderCounts(orderCount: orderCount)
    }
}

extension BuddyCore {
    @usableFromInline func checkInvariants() -> HeapInvariantViolation? {
        var census = BlockCensus(orderCount: geometry.largestBlockOrder + 1)
        for index in 0 ..< arenas.count {
            let base = arenas[index]
            if !base.isAligned(to: geometry.arenaBytes) { return .arenaMisaligned(base) }
            if index > 0 && arenas[index - 1].raw >= base.raw { return .arenaTableDisordered(index: index) }
            if let violation = checkArena(base, census: &census) { return violation }
        }
        if let violation = checkLists(freeLists, kind: .free, counted: census.free) { return violation }
        if let violation = checkLists(cacheLists, kind: .cache, counted: census.cached) { return violation }
        for order in 0 ..< maximumOrderCount where cacheLists.counts[order] > (order <= cachedOrderLimit ? cacheCapacity : 0) {
            return .cacheOverCapacity(order: BlockOrder(order))
        }
        return checkAccounting(census)
    }

    private func checkAccounting(_ census: BlockCensus) -> HeapInvariantViolation? {
        if census.liveBlockBytes != counters.liveBlockBytes {
            return .accountingWrong(.liveBlockBytes, recorded: counters.liveBlockBytes, counted: census.liveBlockBytes)
        }
        let liveAllocations = counters.allocations - counters.frees
        if census.liveBlocks + large.count != liveAllocations {
            return .accountingWrong(.liveAllocations, recorded: liveAllocations, counted: census.liveBlocks + large.count)
        }
        if census.emptyArenas != emptyArenaCount {
            return .accountingWrong(.emptyArenas, recorded: emptyArenaCount, counted: census.emptyArenas)
        }
        return checkLarge(census)
    }

    private func checkLarge(_ census: BlockCensus) -> HeapInvariantViolation? {
        var bytes = 0
        var requested = census.liveRequestedBytes
        for index in 0 ..< large.count {
            let allocation = large[index]
            bytes += allocation.byteCount
            requested += allocation.requestedByteCount
            if !allocation.base.isAligned(to: frameSize) || allocation.byteCount <= 0
                || allocation.byteCount % Int(frameSize) != 0
                || (index > 0 && large[index - 1].end.raw > allocation.base.raw)
            {
                return .largeAllocationsDisordered(index: index)
            }
        }
        if bytes != counters.liveLargeBytes {
            return .accountingWrong(.liveLargeBytes, recorded: counters.liveLargeBytes, counted: bytes)
        }
        if trailerBytes != 0 && requested != liveRequestedBytes {
            return .accountingWrong(.liveRequestedBytes, recorded: liveRequestedBytes, counted: requested)
        }
        return nil
    }

    // MARK: One arena

    /// Walks the arena block by block: each block must start where the previous ended, be the
    /// only block on its leaf-to-root path, and be in a state its position allows.
    private func checkArena(_ arena: VirtualAddress, census: inout BlockCensus) -> HeapInvariantViolation? {
        var offset: UInt64 = 0
        var live = 0
        while offset < geometry.arenaBytes {
            guard let block = findBlock(offset: offset, arena: arena),
                geometry.offset(node: block.node, order: block.order) == offset
            else {
                return .blockPartitionBroken(arena: arena, offset: offset)
            }
            if let node = nestedBlockNode(arena: arena, node: block.node, order: block.order) {
                return .nestedBlock(arena: arena, node: node)
            }
            let size = UInt64(BlockOrder(block.order).byteCount)
            if offset < geometry.reservedBytes {
                if block.state != .allocated || offset + size > geometry.reservedBytes {
                    return .metadataNotReserved(arena: arena)
                }
            } else if let violation = checkBlock(
                arena: arena, node: block.node, order: block.order,
                state: block.state, census: &census)
            {
                return violation
            }
            if offset >= geometry.reservedBytes && block.state == .allocated { live += 1 }
            offset += size
        }
        let recorded = liveBlockCount(arena: arena)
        if recorded != live { return .arenaLiveCountWrong(arena: arena, recorded: recorded, counted: live) }
        if live == 0 { census.emptyArenas += 1 }
        return nil
    }

    /// Like blockContaining, but reports a path without a block instead of trapping.
    private func findBlock(offset: UInt64, arena: VirtualAddress) -> (node: Int, order: Int, state: NodeState)? {
        var node = geometry.node(offset: offset, order: 0)
        var order = 0
        while order <= geometry.rootOrder {
            let found = state(arena: arena, node: node)
            if found != .notABlock { return (node, order, found) }
            node >>= 1
            order += 1
        }
        return nil
    }

    /// A node above or below the block that is also marked as a block, or nil.
    private func nestedBlockNode(arena: VirtualAddress, node: Int, order: Int) -> Int? {
        var ancestor = node >> 1
        while ancestor >= 1 {
            if state(arena: arena, node: ancestor) != .notABlock { return ancestor }
            ancestor >>= 1
        }
        var depth = 1
        while depth <= order {
            let first = node << depth
            for descendant in first ..< first + (1 << depth) where state(arena: arena, node: descendant) != .notABlock {
                return descendant
            }
            depth += 1
        }
        return nil
    }

    /// State rules of one block outside the carved region, and the census.
    private func checkBlock(
        arena: VirtualAddress, node: Int, order: Int, state blockState: NodeState,
        census: inout BlockCensus
    ) -> HeapInvariantViolation? {
        let block = address(arena: arena, node: node, order: order)
        let bytes = BlockOrder(order).byteCount
        switch blockState {
        case .allocated:
            census.liveBlocks += 1
            census.liveBlockBytes += bytes
            if trailerBytes == 0 { return nil }
            let trailer = decodeTrailer(block, order: order)
            if let damage = trailer.damage { return .trailerDamaged(block: block, offset: damage) }
            census.liveRequestedBytes += trailer.requested ?? 0
            return nil
        case .free:
            census.free[BlockOrder(order)] += 1
            if order < geometry.rootOrder && state(arena: arena, node: node ^ 1) == .free {
                return .unmergedFreeBuddies(block: block, order: BlockOrder(order))
            }
        case .cached:
            if order > cachedOrderLimit { return .cachedBlockAboveLimit(block: block, order: BlockOrder(order)) }
            census.cached[BlockOrder(order)] += 1
        case .notABlock:
            return .blockPartitionBroken(arena: arena, offset: block.raw - arena.raw)
        }
        if debugOptions.contains(.poisonFreed),
            let offset = BlockMemory.firstMismatch(
                VirtualAddress(block.raw + 16), byteCount: bytes - 16,
                expected: HeapDebugOptions.poisonByte)
        {
            return .poisonDamaged(block: block, offset: offset + 16)
        }
        return nil
    }

    // MARK: Lists

    /// Each list must hold exactly the blocks the arena walk counted in its state, linked both ways.
    private func checkLists(_ lists: BlockLists, kind: BlockListKind, counted: OrderCounts) -> HeapInvariantViolation? {
        let expectedState: NodeState = kind == .free ? .free : .cached
        var mask: UInt32 = 0
        for order in 0 ..< maximumOrderCount {
            let countedHere = order < counted.orderCount ? counted[BlockOrder(order)] : 0
            let walked: Int
            let isBlock = { (block: ListedBlock) -> Bool in
                let address = block.address
                return arenas.contains(geometry.arenaBase(of: address)) && order <= geometry.largestBlockOrder
                    && address.isAligned(to: UInt64(BlockOrder(order).byteCount))
            }
            switch lists.lists[order].checkInvariants(limit: lists.counts[order], isNode: isBlock) {
            case .success(let count): walked = count
            case .failure(.tooLong):
                return .listCountWrong(
                    kind, order: BlockOrder(order), recorded: lists.counts[order], counted: lists.counts[order] + 1)
            case .failure(.previousLinkWrong(let node, _)), .failure(.backwardWalkDiverged(let node)),
                .failure(.tailWrong(_, let node)), .failure(.foreignNode(let node)):
                return .listLinkBroken(kind, order: BlockOrder(order), block: VirtualAddress(UInt64(node)))
            }
            for block in lists.lists[order] {
                let address = block.address
                let arena = geometry.arenaBase(of: address)
                let node = geometry.node(offset: address.raw - arena.raw, order: order)
                if address.raw - arena.raw < geometry.reservedBytes || state(arena: arena, node: node) != expectedState {
                    return .listedBlockInWrongState(kind, order: BlockOrder(order), block: address)
                }
            }
            if walked != lists.counts[order] || walked != countedHere {
                return .listCountWrong(kind, order: BlockOrder(order), recorded: lists.counts[order], counted: countedHere)
            }
            if walked > 0 { mask |= 1 << UInt32(order) }
        }
        if mask != lists.nonEmpty { return .nonEmptyMaskWrong(kind) }
        return nil
    }
}

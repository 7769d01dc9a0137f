// The allocator core: all block bookkeeping, no memory source. The generic `BuddyHeap` wrapper
// owns the source and calls in here; keeping the core non-generic means its hot paths are
// compiled once, fully optimised, whatever the source type.

import MemoryCore

/// What `route` decided for a request.
enum AllocationRoute {
    case block(BlockOrder)
    /// Above the largest block: whole frames from the source.
    case large(byteCount: Int, alignment: Int)
    case invalid(AllocationError)
}

/// What the wrapper must do after a successful free.
@usableFromInline enum FreeOutcome {
    case done
    /// More empty arenas are held than the configuration retains: detach and release them.
    case surplusEmptyArenas
    /// A large allocation was forgotten: hand its frames back.
    case releaseLarge(LargeAllocation)
}

/// Where a pointer given to free points.
@usableFromInline enum FreeTarget {
    case block(arena: VirtualAddress, node: Int, order: Int, address: VirtualAddress)
    case large(index: Int)
}

@usableFromInline struct BuddyCore {
    let geometry: ArenaGeometry
    /// Orders 0 ... cachedOrderLimit are cached on free; -1 disables the cache.
    let cachedOrderLimit: Int
    let cacheCapacity: Int
    let retainedEmptyArenas: Int
    /// 0, or 8 when every block ends in a requested-size trailer.
    let trailerBytes: Int
    /// Sum of the requested sizes of live allocations (kept exactly only with trailers).
    var liveRequestedBytes = 0
    var debugOptions: HeapDebugOptions

    var freeLists = BlockLists()
    var cacheLists = BlockLists()
    var arenas = ArenaTable()
    /// The arena the last successful free pointed into (`noRecentArena` = none): a free into the
    /// same arena skips the table search. Always either `noRecentArena` or a held arena's base.
    /// Not 0 for "none": in the kernel, RAM at physical 0 is real and an address in the first
    /// arena-sized window (e.g. a large allocation) would then pass for an arena pointer.
    var recentArena: UInt64 = noRecentArena
    /// Never an arena base: arenas are aligned to their size, so their bases are never all ones.
    static let noRecentArena = UInt64.max
    var large = LargeAllocationTable()
    /// Arenas whose header says no block is allocated.
    var emptyArenaCount = 0
    var counters: HeapStatistics
    var lastEvent: HeapEvent?

    init(configuration: HeapConfiguration) {
        geometry = ArenaGeometry(arenaShift: configuration.arenaShift)
        cachedOrderLimit = configuration.cachedOrderLimit?.raw ?? -1
        cacheCapacity = configuration.cacheCapacityPerOrder
        retainedEmptyArenas = configuration.retainedEmptyArenas
        trailerBytes = configuration.trailer.byteCount
        debugOptions = configuration.debugOptions
        counters = HeapStatistics(orderCount: geometry.largestBlockOrder + 1)
    }

    @inline(__always) var largestBlockBytes: Int { BlockOrder(geometry.largestBlockOrder).byteCount }

    // MARK: Node table and arena header (2 bits per node at the arena's start)

    @inline(__always) func state(arena: VirtualAddress, node: Int) -> NodeState {
        let byte = BlockMemory.loadByte(VirtualAddress(arena.raw &+ UInt64(truncatingIfNeeded: node &>> 2)))
        switch (byte &>> UInt8(truncatingIfNeeded: (node & 3) &<< 1)) & 3 {
        case 0: return .notABlock
        case 1: return .allocated
        case 2: return .free
        default: return .cached
        }
    }

    @inline(__always) func setState(_ state: NodeState, arena: VirtualAddress, node: Int) {
        let address = VirtualAddress(arena.raw &+ UInt64(truncatingIfNeeded: node &>> 2))
        let shift = UInt8(truncatingIfNeeded: (node & 3) &<< 1)
        let byte = BlockMemory.loadByte(address)
        BlockMemory.storeByte((byte & ~(3 &<< shift)) | (state.rawValue &<< shift), address)
    }

    @inline(__always) func liveBlockCount(arena: VirtualAddress) -> Int {
        Int(truncatingIfNeeded: BlockMemory.loadWord(VirtualAddress(arena.raw &+ geometry.headerOffset)))
    }

    @inline(__always) func setLiveBlockCount(_ count: Int, arena: VirtualAddress) {
        BlockMemory.storeWord(UInt64(truncatingIfNeeded: count), VirtualAddress(arena.raw &+ geometry.headerOffset))
    }

    /// The address of node `node` of order `order` in `arena`.
    @inline(__always) func address(arena: VirtualAddress, node: Int, order: Int) -> VirtualAddress {
        VirtualAddress(arena.raw &+ geometry.offset(node: node, order: order))
    }

    /// The node of order `order` that starts at `block`.
    @inline(__always) func node(of block: VirtualAddress, order: Int) -> (arena: VirtualAddress, node: Int) {
        let arena = geometry.arenaBase(of: block)
        return (arena, geometry.node(offset: block.raw &- arena.raw, order: order))
    }

    /// The block (node and order) containing byte `offset` of `arena`: walk up from the leaf to
    /// the first node that is a block; O(order of that block). Precondition: offset is inside a
    /// held arena.
    @inline(__always) func blockContaining(offset: UInt64, arena: VirtualAddress) -> (node: Int, order: Int, state: NodeState) {
        var node = geometry.node(offset: offset, order: 0)
        var order = 0
        var found = state(arena: arena, node: node)
        while found == .notABlock && order < geometry.rootOrder {
            node &>>= 1
            order &+= 1
            found = state(arena: arena, node: node)
        }
        precondition(found != .notABlock, "BuddyHeap: node table corrupt (no block on a leaf's path)")
        return (node, order, found)
    }

    // MARK: Routing

    @inline(__always) func route(byteCount: Int, alignment: Int) -> AllocationRoute {
        if byteCount < 0 { return .invalid(.negativeByteCount) }
        if alignment <= 0 || alignment & (alignment &- 1) != 0 || alignment > largestBlockBytes {
            return .invalid(.invalidAlignment)
        }
        if byteCount <= largestBlockBytes &- trailerBytes {
            return .block(BlockOrder.fitting(byteCount: byteCount &+ trailerBytes, alignment: alignment))
        }
        guard let rounded = alignUp(UInt64(byteCount), to: frameSize), rounded <= UInt64(Int.max) else {
            return .invalid(.byteCountTooLarge)
        }
        return .large(byteCount: Int(rounded), alignment: max(alignment, Int(frameSize)))
    }

    @usableFromInline mutating func noteFailedAllocation() { counters.failedAllocations += 1 }
}

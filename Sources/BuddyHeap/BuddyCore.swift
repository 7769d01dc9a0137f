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
    @usableFromInline let geometry: ArenaGeometry
    /// Orders 0 ... cachedOrderLimit are cached on free; -1 disables the cache.
    @usableFromInline let cachedOrderLimit: Int
    @usableFromInline let cacheCapacity: Int
    @usableFromInline let retainedEmptyArenas: Int
    /// 0, or 8 when every block ends in a requested-size trailer.
    @usableFromInline let trailerBytes: Int
    /// cacheLimits[k]: how many blocks cache list k may hold: cacheCapacity for k <=
    /// cachedOrderLimit, 0 above (one load and compare decide "cache it" on free).
    @usableFromInline let cacheLimits: InlineArray<32, Int>
    /// Bytes of the largest cached block (of order cachedOrderLimit); 0 without a cache.
    @usableFromInline let cachedBlockBytes: UInt
    /// The largest request the caches can serve: cachedBlockBytes - trailerBytes (0 without a cache).
    @usableFromInline let cachedRequestLimit: UInt
    /// Sum of the requested sizes of live allocations (kept exactly only with trailers).
    @usableFromInline var liveRequestedBytes = 0
    @usableFromInline var debugOptions: HeapDebugOptions

    @usableFromInline var freeLists = BlockLists()
    @usableFromInline var cacheLists = BlockLists()
    var arenas = ArenaTable()
    /// The arena the last successful free pointed into (`noRecentArena` = none): a free into the
    /// same arena skips the table search. Always either `noRecentArena` or a held arena's base.
    /// Not 0 for "none": in the kernel, RAM at physical 0 is real and an address in the first
    /// arena-sized window (e.g. a large allocation) would then pass for an arena pointer.
    @usableFromInline var recentArena: UInt64 = noRecentArena
    /// The order of the latest block handed out: where `free` looks first (a guess, always checked
    /// against the node table; any value is safe).
    @usableFromInline var recentOrder = 0
    /// How many fast frees in a row (up to trustedStreak) freed a block of order `recentOrder`.
    /// The fast free reads that order first only at trustedStreak: alloc/free pairs then find
    /// their block in one read, while frees of unrelated sizes (where the guess is right about a
    /// third of the time) skip a read whose outcome no branch predictor could foresee. Only a
    /// guide for the order of reads: any value is safe.
    @usableFromInline var recentOrderTrust = 0
    @usableFromInline static let trustedStreak = 4
    /// Never an arena base: arenas are aligned to their size, so their bases are never all ones.
    @usableFromInline static let noRecentArena = UInt64.max
    var large = LargeAllocationTable()
    /// Arenas whose header says no block is allocated.
    @usableFromInline var emptyArenaCount = 0
    @usableFromInline var counters: HeapStatistics
    @usableFromInline var lastEvent: HeapEvent?

    init(configuration: HeapConfiguration) {
        geometry = ArenaGeometry(arenaShift: configuration.arenaShift)
        cachedOrderLimit = configuration.cachedOrderLimit?.raw ?? -1
        cacheCapacity = configuration.cacheCapacityPerOrder
        retainedEmptyArenas = configuration.retainedEmptyArenas
        trailerBytes = configuration.trailer.byteCount
        let cachedBytes = configuration.cachedOrderLimit.map { UInt($0.byteCount) } ?? 0
        cachedBlockBytes = cachedBytes
        var limits = InlineArray<32, Int>(repeating: 0)
        for order in 0 ..< maximumOrderCount where order <= cachedOrderLimit { limits[order] = cacheCapacity }
        cacheLimits = limits
        cachedRequestLimit = cachedBytes == 0 ? 0 : cachedBytes - UInt(trailerBytes)
        debugOptions = configuration.debugOptions
        counters = HeapStatistics(orderCount: geometry.largestBlockOrder + 1)
    }

    @inlinable @inline(__always) var largestBlockBytes: Int { BlockOrder(geometry.largestBlockOrder).byteCount }

    // MARK: Node table and arena header (2 bits per node at the arena's start)

    @inlinable @inline(__always) func state(arena: VirtualAddress, node: Int) -> NodeState {
        NodeState(bits: stateBits(arena: arena, node: node))
    }

    /// The raw 2-bit entry of `node` (a NodeState raw value).
    @inlinable @inline(__always) func stateBits(arena: VirtualAddress, node: Int) -> UInt8 {
        let byte = BlockMemory.loadByte(VirtualAddress(arena.raw &+ UInt64(truncatingIfNeeded: node &>> 2)))
        return (byte &>> UInt8(truncatingIfNeeded: (node & 3) &<< 1)) & 3
    }

    @inlinable @inline(__always) func setState(_ state: NodeState, arena: VirtualAddress, node: Int) {
        let address = VirtualAddress(arena.raw &+ UInt64(truncatingIfNeeded: node &>> 2))
        let shift = UInt8(truncatingIfNeeded: (node & 3) &<< 1)
        let byte = BlockMemory.loadByte(address)
        BlockMemory.storeByte((byte & ~(3 &<< shift)) | (state.rawValue &<< shift), address)
    }

    /// `setState(new, ...)` for a node whose state is known to be `old` (by an invariant or a read
    /// just made): one XOR of (old ^ new) into the entry, which leaves every other entry alone.
    @inlinable @inline(__always) func changeState(from old: NodeState, to new: NodeState, arena: VirtualAddress, node: Int) {
        let address = VirtualAddress(arena.raw &+ UInt64(truncatingIfNeeded: node &>> 2))
        let shift = UInt8(truncatingIfNeeded: (node & 3) &<< 1)
        BlockMemory.storeByte(BlockMemory.loadByte(address) ^ ((old.rawValue ^ new.rawValue) &<< shift), address)
    }

    @inlinable @inline(__always) func liveBlockCount(arena: VirtualAddress) -> Int {
        Int(truncatingIfNeeded: BlockMemory.loadWord(VirtualAddress(arena.raw &+ geometry.headerOffset)))
    }

    @inlinable @inline(__always) func setLiveBlockCount(_ count: Int, arena: VirtualAddress) {
        BlockMemory.storeWord(UInt64(truncatingIfNeeded: count), VirtualAddress(arena.raw &+ geometry.headerOffset))
    }

    /// The address of node `node` of order `order` in `arena`.
    @inlinable @inline(__always) func address(arena: VirtualAddress, node: Int, order: Int) -> VirtualAddress {
        VirtualAddress(arena.raw &+ geometry.offset(node: node, order: order))
    }

    /// The node of order `order` that starts at `block`.
    @inlinable @inline(__always) func node(of block: VirtualAddress, order: Int) -> (arena: VirtualAddress, node: Int) {
        let arena = geometry.arenaBase(of: block)
        return (arena, geometry.node(offset: block.raw &- arena.raw, order: order))
    }

    /// The block that starts at byte `offset` of `arena` (node, order, state), or nil when the
    /// block covering `offset` starts below it. A block of order k starting at `offset` has
    /// k <= m := min(tz(offset) - 4, largest order) (blocks are aligned to their size), and by the
    /// partition invariant it is the only block on the leaf's path; so reading the path's nodes of
    /// orders m, m - 1, ..., 0 finds it, and finding none means the covering block is above m.
    /// Any reading order finds the same unique block. Precondition: `offset` is a non-zero
    /// multiple of 16 inside a held arena.
    ///
    /// The reads: first `likelyOrder` when it is <= m (the order last handed out: a free often
    /// follows an allocation of the same size; Int.max skips it); then orders m, m - 1, m - 2
    /// without branches (their loads overlap, and no
    /// unpredictable branch picks among them when consecutive frees have unrelated sizes: for a
    /// block at a random place among those of its order, m - k < 3 seven times in eight); only
    /// when those miss, the rest from m - 3 down, one by one.
    @inlinable @inline(__always) func blockStarting(
        at offset: UInt64, arena: VirtualAddress, likelyOrder: Int
    ) -> (node: Int, order: Int, state: NodeState)? {
        let highest = min(offset.trailingZeroBitCount &- minimumBlockShift, geometry.largestBlockOrder)
        // The node of order j on the leaf's path is leaf >> j.
        let leaf = geometry.node(offset: offset, order: 0)
        // The hint clamped to m, then m, m - 1, m - 2 clamped at the leaf: a repeated level is
        // the same node, read twice. Every candidate is <= m, so any block found starts here.
        if likelyOrder <= highest, let found = block(onPathOf: leaf, order: likelyOrder, arena: arena) { return found }
        var order = -1
        var entry: UInt8 = 0
        consider(highest, leaf: leaf, arena: arena, order: &order, entry: &entry)
        consider(max(highest &- 1, 0), leaf: leaf, arena: arena, order: &order, entry: &entry)
        consider(max(highest &- 2, 0), leaf: leaf, arena: arena, order: &order, entry: &entry)
        if order >= 0 { return (leaf &>> order, order, NodeState(bits: entry)) }
        order = highest &- 3
        while order >= 0 {
            let found = state(arena: arena, node: leaf &>> order)
            if found != .notABlock { return (leaf &>> order, order, found) }
            order &-= 1
        }
        return nil
    }

    /// The node of order `order` on the path of leaf node `leaf` when it is a block, else nil:
    /// one read. The caller makes sure `order` <= m (see blockStarting), so the block starts at
    /// the leaf's offset.
    @inlinable @inline(__always)
    func block(onPathOf leaf: Int, order: Int, arena: VirtualAddress) -> (node: Int, order: Int, state: NodeState)? {
        let found = state(arena: arena, node: leaf &>> order)
        return found == .notABlock ? nil : (leaf &>> order, order, found)
    }

    /// One branch-free candidate read of blockStarting: when the path's node of order `level` is
    /// a block, (order, entry) become (level, its entry); otherwise they stay as they are.
    @inlinable @inline(__always)
    func consider(_ level: Int, leaf: Int, arena: VirtualAddress, order: inout Int, entry: inout UInt8) {
        let bits = stateBits(arena: arena, node: leaf &>> level)
        order = bits != 0 ? level : order
        entry = bits != 0 ? bits : entry
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

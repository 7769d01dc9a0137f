// BuddyHeap: the kernel heap. A binary buddy allocator over power-of-two arenas from a source,
// serving kmalloc/kfree and the Swift runtime's posix_memalign/free.
//
// Algorithm
// ---------
// Memory comes in arenas of 2^s bytes aligned to 2^s (s = 23 in the kernel). Each arena is a
// complete binary tree of blocks: a block of order k is 16 * 2^k bytes at an offset that is a
// multiple of its size, and its buddy is the block at offset XOR size. Allocation takes the
// smallest order k with 16 * 2^k >= max(size, alignment) (blocks are aligned to their size, so
// every power-of-two alignment up to the largest block comes free), pops a block from the
// smallest non-empty free list of order >= k (one bit scan) and splits it down, pushing each
// upper half on its free list. Freeing merges a block with its buddy while the buddy is free
// and of the same order. Each operation does at most (largest order - k) splits or merges.
//
// Side tables, never headers: the first 1/32 of each arena is a node table of 2 bits per tree
// node (notABlock / allocated / free / cached), carved out as allocated blocks. `free(pointer)`
// finds the arena by masking the pointer and checking a sorted arena table (a foreign pointer
// is never read through), then reads the nodes on the pointer's leaf-to-root path that could
// start at the pointer: orders k <= m = min(tz(offset) - 4, largest order), as blocks are
// aligned to their size. Exactly one node on the path is a block, so whichever candidate turns
// out to be a block starts at the pointer, and none means the pointer is inside a larger block
// (interior or not allocated). Reads: the order last handed out when that guess has been right
// several frees in a row (alloc/free pairs: one read), then orders m, m - 1, m - 2 without
// branches (7 in 8 blocks), then the rest. This gives the block's order in O(1) expected reads
// without trusting anything a caller can write. The buddy test is one 2-bit read. Free lists
// are intrusive and doubly linked (links in the free block's first 16 bytes), so a merge
// unlinks the buddy in O(1).
//
// Speed: a textbook buddy pays a full-depth split and merge for a pair on an empty heap. Here a
// freed block of order <= cachedOrderLimit goes on a per-order cache list (at most
// cacheCapacityPerOrder deep) unmerged, and the next allocation of that order pops it; both run
// inline in the caller (BuddyCore+FastPaths): a list pop or push, one node-table XOR (the old
// state is known) and the accounting, with the general paths out of line. Cached
// blocks are merged (with free or cached buddies) when the cache overflows, when no free block
// fits, before an arena is released, and on `coalesce()`.
//
// Invariants (checkInvariants verifies each; the heap keeps them after every operation)
//   partition:   for every arena and every leaf, exactly one node on the leaf's path to the root
//                is a block; so the blocks tile the arena exactly.
//   metadata:    the blocks covering [0, arenaBytes/32 + 16) are allocated and never handed out.
//   merged:      no free block of order k < L has a free buddy of order k (cached ones may).
//   lists:       free list k = { free blocks of order k }, cache list k = { cached blocks of
//                order k }, each exactly once, doubly linked; |cache list k| <= capacity, and
//                cache lists above cachedOrderLimit are empty.
//   accounting:  per arena, carved + allocated + free + cached bytes = arena bytes;
//                header live count = allocated blocks outside the carved region;
//                liveBlockBytes = sum of allocated block sizes; emptyArenas = arenas with live 0;
//                allocations - frees = allocated blocks + large allocations;
//                with trailers: liveRequestedBytes = sum of trailer sizes + large requested sizes,
//                and every allocated block's trailer and red zone are intact.
//   fully coalesced (after coalesce()): no cached blocks, so no two free buddies anywhere and an
//                arena without allocations is exactly the maximal blocks of [carved, arenaBytes).
//
// Growth and release: when no block fits (after draining the caches) the heap asks the source
// for one more arena; when a free leaves more than `retainedEmptyArenas` arenas without live
// blocks, the caches are drained and the surplus empty arenas go back to the source
// (hysteresis: the last empty arena is kept, so an alloc/free at the edge does not thrash).
// Requests above the largest block (half an arena) get whole frames from the source, tracked in
// a fixed-capacity table so free(pointer) finds them.
//
// Metadata overhead: arenaBytes/32 + 16 bytes per arena (3.1 %); the heap struct itself holds
// fixed-capacity tables (arenas, large allocations, list heads) and never allocates. Optional
// trailers (HeapConfiguration.trailer) add 8 bytes per block and keep requested sizes exactly.
//
// Not thread-safe: the kernel must serialise calls (a lock taken with interrupts disabled, so an
// interrupt handler that allocates cannot deadlock on it).

import MemoryCore

/// The kernel heap: a buddy allocator over arenas from `Source`.
public struct BuddyHeap<Source: ArenaSource> {
    @usableFromInline var core: BuddyCore
    @usableFromInline var arenaSource: Source
    /// The configuration the heap was built with (its debug options may have changed since).
    public let configuration: HeapConfiguration

    /// An empty heap that will take arenas from `source`. Throws when the configuration is unusable.
    public init(source: Source, configuration: HeapConfiguration = .kernel) throws(HeapConfigurationError) {
        if let problem = configuration.problem { throw problem }
        self.configuration = configuration
        core = BuddyCore(configuration: configuration)
        arenaSource = source
    }

    /// The memory source (tests inspect what it handed out).
    public var source: Source { arenaSource }

    /// The largest block: requests above it are served by `Source.allocateLarge`.
    public var largestBlockBytes: Int { core.largestBlockBytes }

    /// Bytes of one arena.
    public var arenaBytes: Int { Int(core.geometry.arenaBytes) }

    // MARK: Allocation

    /// `byteCount` bytes aligned to `alignment` (a power of two up to `largestBlockBytes`), or nil
    /// when out of memory or the request is invalid. A zero-byte request gets a unique 16-byte block.
    /// Inlined into the caller: the cached case costs no call (BuddyCore+FastPaths).
    @inlinable @inline(__always)
    public mutating func allocate(byteCount: Int, alignment: Int = minimumBlockBytes) -> UnsafeMutableRawPointer? {
        if let block = core.allocateCached(byteCount: byteCount, alignment: alignment) {
            return BlockMemory.pointer(block)
        }
        return allocateUncached(byteCount: byteCount, alignment: alignment)
    }

    /// `allocate` when no cached block serves the request.
    @inline(never) @usableFromInline
    mutating func allocateUncached(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        if let block = core.allocateFromHeldArenas(byteCount: byteCount, alignment: alignment) {
            return BlockMemory.pointer(block)
        }
        return try? allocateChecked(byteCount: byteCount, alignment: alignment)
    }

    /// As `allocate`, but says why it failed.
    public mutating func allocateChecked(
        byteCount: Int, alignment: Int = minimumBlockBytes
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        switch core.route(byteCount: byteCount, alignment: alignment) {
        case .invalid(let error):
            core.noteFailedAllocation()
            throw error
        case .block(let order):
            if let block = core.allocateBlock(order: order, requested: byteCount)
                ?? growAndAllocate(order: order, requested: byteCount)
            {
                return BlockMemory.pointer(block)
            }
            core.noteFailedAllocation()
            throw .outOfMemory
        case .large(let bytes, let alignment):
            return try allocateLarge(byteCount: bytes, alignment: alignment, requested: byteCount)
        }
    }

    /// Takes one more arena from the source and allocates from it, or nil.
    private mutating func growAndAllocate(order: BlockOrder, requested: Int) -> VirtualAddress? {
        if !core.canAddArena { return nil }
        let bytes = arenaBytes
        guard let raw = arenaSource.allocateArena(byteCount: bytes) else { return nil }
        let base = BlockMemory.address(raw)
        if !base.isAligned(to: UInt64(bytes)) {
            arenaSource.releaseArena(raw, byteCount: bytes)
            core.noteSourceViolation(.sourceReturnedBadArena(base))
            return nil
        }
        if !core.addArena(base) { return nil }
        return core.allocateBlock(order: order, requested: requested)
    }

    private mutating func allocateLarge(
        byteCount: Int, alignment: Int, requested: Int
    ) throws(AllocationError) -> UnsafeMutableRawPointer {
        if core.large.isFull {
            core.noteFailedAllocation()
            throw .tooManyLargeAllocations
        }
        guard let raw = arenaSource.allocateLarge(byteCount: byteCount, alignment: alignment) else {
            core.noteFailedAllocation()
            throw .outOfMemory
        }
        let allocation = LargeAllocation(base: BlockMemory.address(raw), byteCount: byteCount, requestedByteCount: requested)
        if !core.recordLarge(allocation, alignment: alignment) {
            arenaSource.releaseLarge(raw, byteCount: byteCount)
            core.noteFailedAllocation()
            throw .outOfMemory
        }
        return raw
    }

    // MARK: Freeing

    /// Frees an allocation by its pointer alone. Throws, changing nothing but the error count,
    /// for a double free or a pointer this heap never returned.
    @inlinable @inline(__always)
    public mutating func free(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        if core.freeToCache(BlockMemory.address(pointer)) { return }
        try freeUncached(pointer)
    }

    /// `free` when the block does not simply go onto its cache (merging, arena release, large
    /// allocations, and every error).
    @inline(never) @usableFromInline
    mutating func freeUncached(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        switch try core.free(BlockMemory.address(pointer)) {
        case .done:
            return
        case .surplusEmptyArenas:
            releaseEmptyArenas(retaining: configuration.retainedEmptyArenas)
        case .releaseLarge(let allocation):
            arenaSource.releaseLarge(pointer, byteCount: allocation.byteCount)
        }
    }

    /// Hands every empty arena beyond `retaining` back to the source.
    @usableFromInline mutating func releaseEmptyArenas(retaining: Int) {
        while let base = core.detachEmptyArena(retaining: retaining) {
            arenaSource.releaseArena(BlockMemory.pointer(base), byteCount: arenaBytes)
        }
    }

    /// Merges every cached block, leaving the heap fully coalesced, and releases surplus arenas.
    public mutating func coalesce() {
        core.drainCaches()
        releaseEmptyArenas(retaining: configuration.retainedEmptyArenas)
    }

    /// Coalesces and hands every arena without live blocks back to the source, spare included.
    public mutating func trim() {
        core.drainCaches()
        releaseEmptyArenas(retaining: 0)
    }

    // MARK: Queries and debugging

    /// The usable size of a live allocation (its block, or its whole frames); nil for any
    /// pointer that is not the start of a live allocation.
    /// `mutating` (changing nothing) so the tables are read in place (BuddyCore+Queries.swift);
    /// so are `blockOrder` and `statistics`.
    public mutating func blockByteCount(of pointer: UnsafeMutableRawPointer) -> Int? {
        core.blockByteCount(of: BlockMemory.address(pointer))
    }

    /// The order of the live block at `pointer` (for the log); nil for large allocations and
    /// anything that is not a live block's start.
    public mutating func blockOrder(of pointer: UnsafeMutableRawPointer) -> BlockOrder? {
        core.blockOrder(of: BlockMemory.address(pointer))
    }

    public var statistics: HeapStatistics { mutating get { core.statistics } }

    /// The latest problem the heap detected and survived (use after free, bad source region).
    public var lastEvent: HeapEvent? { core.lastEvent }

    /// Run-time debug switches; turning `.poisonFreed` on poisons every free block at once.
    public var debugOptions: HeapDebugOptions {
        get { core.debugOptions }
        set { core.setDebugOptions(newValue) }
    }

    /// The first broken invariant (see the module comment), or nil. Walks every arena: O(heap).
    public func checkInvariants() -> HeapInvariantViolation? { core.checkInvariants() }

    /// True when no block is cached unmerged: with `checkInvariants() == nil` this means no two
    /// free buddies exist anywhere.
    public var isFullyCoalesced: Bool { core.cacheLists.isEmpty }
}

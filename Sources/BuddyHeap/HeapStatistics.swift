// Counters and gauges the kernel log prints (free blocks per order read like /proc/buddyinfo).
//
// Accounting equations (checked by checkInvariants):
//   liveBlockBytes  = sum of the sizes of allocated blocks, carved metadata excluded
//   liveBytes       = liveBlockBytes + liveLargeBytes
//   per arena: carved + allocated + free + cached block bytes = arena bytes
//   allocations - frees = liveAllocations

/// Per-order counts with fixed capacity (no heap storage).
public struct OrderCounts: Equatable, Sendable {
    @usableFromInline var values = InlineArray<32, Int>(repeating: 0)
    /// How many orders are meaningful (largest block order + 1).
    public let orderCount: Int

    @inlinable init(orderCount: Int) { self.orderCount = orderCount }

    @inlinable public subscript(order: BlockOrder) -> Int {
        get { values[order.raw] }
        set { values[order.raw] = newValue }
    }

    public static func == (a: OrderCounts, b: OrderCounts) -> Bool {
        if a.orderCount != b.orderCount { return false }
        for order in 0 ..< a.orderCount where a.values[order] != b.values[order] { return false }
        return true
    }

    /// Sum over all orders.
    public var total: Int {
        var sum = 0
        for order in 0 ..< orderCount { sum += values[order] }
        return sum
    }

    /// Sum over all orders of count * block bytes.
    public var totalBytes: Int {
        var sum = 0
        for order in 0 ..< orderCount { sum += values[order] * BlockOrder(order).byteCount }
        return sum
    }
}

/// A snapshot of the heap's accounting.
public struct HeapStatistics: Equatable, Sendable {
    /// Allocations handed out and not yet freed (blocks and large allocations).
    public var liveAllocations = 0
    /// Bytes in live blocks: what callers hold, rounded up to block sizes.
    public var liveBlockBytes = 0
    /// Bytes in live large allocations (rounded up to whole frames).
    public var liveLargeBytes = 0
    /// The highest liveBlockBytes + liveLargeBytes seen.
    public var peakLiveBytes = 0
    /// Bytes callers asked for and still hold. Exact with `AllocationTrailer.requestedSizeAndRedZone`
    /// (the size is kept in each block's trailer); nil without trailers, because free takes only
    /// the pointer and there is no header to keep it in.
    public var liveRequestedBytes: Int?
    /// Bytes callers asked for, over every allocation so far.
    public var requestedBytesTotal = 0
    /// Bytes handed out for those requests (block or large sizes), over every allocation so far:
    /// internal fragmentation = 1 - requestedBytesTotal / grantedBytesTotal.
    public var grantedBytesTotal = 0

    /// Arenas currently held, the most ever held, and how many of the held ones have no live block.
    public var arenasHeld = 0
    public var peakArenasHeld = 0
    public var emptyArenasHeld = 0
    /// Bytes of all held arenas, and the part of them carved for node tables and headers.
    public var arenaBytes = 0
    public var metadataBytes = 0
    public var arenasAcquired = 0
    public var arenasReleased = 0

    /// Free (merged) blocks per order, and freed-but-unmerged blocks per order in the cache.
    public var freeBlocks: OrderCounts
    public var cachedBlocks: OrderCounts

    public var allocations = 0
    public var frees = 0
    public var splits = 0
    public var merges = 0
    /// Allocation requests that returned nil (out of memory or invalid).
    public var failedAllocations = 0
    /// Frees refused with a HeapError (double, foreign, interior, misaligned, never allocated).
    public var invalidFrees = 0
    /// Poison damage found when handing a block out (use after free).
    public var useAfterFreeWrites = 0
    /// Red zones or trailers found damaged on free (trailers on).
    public var redZoneOverwrites = 0
    /// Regions the source returned that broke its contract.
    public var sourceContractViolations = 0

    /// Every error detected: invalid frees, use-after-free writes, red-zone overwrites and
    /// source violations.
    public var errorsDetected: Int { invalidFrees + useAfterFreeWrites + redZoneOverwrites + sourceContractViolations }

    @inlinable init(orderCount: Int) {
        freeBlocks = OrderCounts(orderCount: orderCount)
        cachedBlocks = OrderCounts(orderCount: orderCount)
    }
}

// The knobs a heap is built with, validated once at construction.

/// How a heap is shaped. `kernel` is the configuration the kernel uses; host tests shrink the
/// arenas so that growth and release happen after a few allocations.
public struct HeapConfiguration: Sendable {
    /// log2 of an arena's size: 23 = 8 MiB arenas, so the largest block is 4 MiB.
    public var arenaShift: Int
    /// Freed blocks of order <= this go to the per-order cache instead of being merged
    /// (nil: no cache, every free merges at once).
    public var cachedOrderLimit: BlockOrder?
    /// The most blocks each cache list holds; a free beyond that merges.
    public var cacheCapacityPerOrder: Int
    /// How many entirely free arenas the heap keeps before handing arenas back to the source
    /// (hysteresis: with 1, a single alloc/free at the edge of an arena does not thrash).
    public var retainedEmptyArenas: Int
    /// The debug switches the heap starts with (they can be changed at run time).
    public var debugOptions: HeapDebugOptions
    /// Requested-size trailer and red zone in every block (see AllocationTrailer).
    public var trailer: AllocationTrailer

    @inlinable public init(
        arenaShift: Int = 23, cachedOrderLimit: BlockOrder? = BlockOrder(8),
        cacheCapacityPerOrder: Int = 32, retainedEmptyArenas: Int = 1,
        debugOptions: HeapDebugOptions = [], trailer: AllocationTrailer = .none
    ) {
        self.arenaShift = arenaShift
        self.cachedOrderLimit = cachedOrderLimit
        self.cacheCapacityPerOrder = cacheCapacityPerOrder
        self.retainedEmptyArenas = retainedEmptyArenas
        self.debugOptions = debugOptions
        self.trailer = trailer
    }

    /// 8 MiB arenas (largest block 4 MiB), blocks up to 4 KiB cached 32 deep, one spare arena.
    public static var kernel: HeapConfiguration { HeapConfiguration() }

    /// Smallest and largest accepted arena shifts: 1 KiB (largest block 512 B) to 1 GiB.
    public static let arenaShiftRange = 10 ... 30

    /// The first problem with this configuration, or nil when it is usable.
    public var problem: HeapConfigurationError? {
        if !Self.arenaShiftRange.contains(arenaShift) { return .arenaShiftOutOfRange }
        if let limit = cachedOrderLimit,
            limit.raw < 0 || limit.raw >= arenaShift - minimumBlockShift - 1
        {
            return .cachedOrderLimitOutOfRange
        }
        if cacheCapacityPerOrder < 0 { return .negativeCacheCapacity }
        if retainedEmptyArenas < 0 || retainedEmptyArenas > arenaTableCapacity { return .retainedEmptyArenasOutOfRange }
        return nil
    }
}

/// Why a configuration was refused.
public enum HeapConfigurationError: Error, Hashable, Sendable {
    case arenaShiftOutOfRange
    /// The cache limit must name an order below the largest block's.
    case cachedOrderLimitOutOfRange
    case negativeCacheCapacity
    case retainedEmptyArenasOutOfRange
}

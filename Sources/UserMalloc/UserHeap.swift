// UserHeap: the public face of the allocator (malloc, free, calloc, realloc, posix_memalign,
// malloc_usable_size, plus trim and statistics). Each entry point decides the tier from the size
// (small <= 4 KiB, medium <= 128 KiB, large beyond) or, for a pointer, from the granule map,
// and forwards to the tier's file. See UserMalloc.swift for the design.

import MemoryCore

/// Where a span is, which decides what free() must do when the span's fill level changes.
@usableFromInline enum SpanState: UInt8 {
    /// Its class's current span: malloc pops from it; never on a list.
    case current = 1
    /// On its class's partial list: has a non-empty free list.
    case partial = 2
    /// On no list: every slot carved and in use.
    case full = 3
    /// In the heap's empty-span cache (usedCount == 0), ready for any class.
    case empty = 4
}

/// Per size class: the span malloc pops from, and the spans with free slots waiting behind it.
@usableFromInline struct SizeClassState {
    @usableFromInline var current: UInt = 0
    /// The class's partial spans, oldest first (through SpanHeader.listLinks).
    @usableFromInline var partial = IntrusiveQueue<SpanRef>()

    @inlinable init() {}
}

/// A malloc heap over pages from `Source`.
///
/// Not thread-safe (one heap per single-threaded user program). Misuse (foreign, interior or
/// double-freed pointers) and detected metadata damage are passed to `errorHandler` and change
/// nothing; out of memory returns nil.
public struct UserHeap<Source: PageSource> {
    /// Requests above this many bytes get their own mapping.
    @inlinable public static var largestMediumByteCount: Int { 128 * 1024 }
    /// Aligned requests above this alignment get their own mapping.
    @inlinable static var largestMediumAlignment: Int { 4096 }

    @usableFromInline var pageSource: Source
    /// The page source (tests inspect their fake through it).
    @inlinable public var source: Source { pageSource }
    @usableFromInline var counters = HeapStatistics()
    /// A snapshot of the counters.
    @inlinable public var statistics: HeapStatistics { counters }

    @usableFromInline var classes: InlineArray<48, SizeClassState> = InlineArray(repeating: SizeClassState())
    /// Per size class: bytes of the spans assigned to it (current, partial and full), which
    /// decides the size of its next span (SpanSizing.swift). Kept apart from `classes` so the
    /// malloc fast path's array stays dense.
    @usableFromInline var classSpanBytes: InlineArray<48, Int> = InlineArray(repeating: 0)
    /// Per size class: bytes (medium block sizes) of its live light blocks, served from the
    /// medium regions while the class holds no span (UserHeap+Light.swift).
    @usableFromInline var lightBytes: InlineArray<48, Int> = InlineArray(repeating: 0)
    /// Per size class: its recent light mallocs (UserHeap+Light.swift, isBusyInTime), and the
    /// light mallocs since the scores were last halved.
    @usableFromInline var lightScores: InlineArray<48, UInt16> = InlineArray(repeating: 0)
    @usableFromInline var lightMallocsInWindow = 0
    /// The granule map: which granules are the heap's and what owns each (GranuleMap.swift).
    @usableFromInline var directory = GranuleMap()
    /// Empty spans kept for reuse, one list per span size (index shift - SpanRef.smallestShift),
    /// linked through `SpanHeader.listLinks`.
    @usableFromInline var emptySpans: InlineArray<5, IntrusiveStack<SpanRef>> = InlineArray(repeating: IntrusiveStack())
    @usableFromInline var bins = MediumBins()
    /// All medium regions, linked through `RegionHeader.listLinks`.
    @usableFromInline var regions = IntrusiveStack<RegionRef>()
    /// Regions with no block in use (kept for hysteresis, at most one outside trim()).
    @usableFromInline var emptyRegionCount = 0
    /// All live large blocks, linked through `LargeHeader.listLinks`.
    @usableFromInline var largeBlocks = IntrusiveStack<LargeRef>()
    /// Freed large mappings kept for reuse, linked through `LargeHeader.listLinks`.
    @usableFromInline var largeCache = IntrusiveStack<LargeRef>()
    @usableFromInline let secret: UInt64
    @usableFromInline let errorHandler: (HeapError) -> Void

    /// A heap that takes its pages from `source`. `secret` keys every header canary and every
    /// free-slot marker (as Scudo checksums its headers with a per-process secret): a program
    /// passes a value chosen at its start (RDRAND, else TSC-seeded), tests a fixed or random one.
    /// Without the secret, an overflow cannot forge a free-looking slot or a valid header: the
    /// heap reports corruption instead of handing a live block out twice. `errorHandler`
    /// receives every misuse report.
    @inlinable public init(
        source: Source, secret: UInt64,
        errorHandler: @escaping (HeapError) -> Void
    ) {
        self.pageSource = source
        self.secret = secret
        self.errorHandler = errorHandler
    }

    /// malloc: at least `byteCount` bytes, 16-aligned; nil when out of memory (or byteCount < 0).
    /// `allocate(byteCount: 0)` returns a unique 16-byte block.
    @inline(__always)
    @inlinable public mutating func allocate(byteCount: Int) -> UnsafeMutableRawPointer? {
        if UInt(bitPattern: byteCount) <= UInt(SizeClass.largestByteCount) {
            guard let block = allocateSmall(classIndex: SizeClass.index(forByteCount: byteCount)) else { return nil }
            return userPointer(block.address)
        }
        return allocateBeyondSmall(byteCount: byteCount, alignment: 16).map(userPointer)
    }

    /// free: returns a block. nil is a no-op; a pointer this heap did not hand out, or already
    /// freed, is reported to the error handler and nothing changes.
    @inline(__always)
    @inlinable public mutating func free(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let address = UInt(pointer)
        // One byte of the granule map says whether the granule is ours and what owns it; a small
        // span's header is then the pointer masked to 64 KiB (no header is read before the map
        // has confirmed the granule, so a wild pointer is reported, never dereferenced).
        let entry = directory.entry(address)
        if entry == UInt8(OwnerKind.small.rawValue) {
            if let error = freeSmall(address, spanBase: address & ~UInt(SpanRef.alignment &- 1)) { report(error) }
            return
        }
        if let error = freeBeyondSmall(address, owner: GranuleMap.owner(of: address, entry: entry)) { report(error) }
    }

    /// calloc: `count * byteCount` zeroed bytes; nil on overflow of the product or out of memory.
    @inlinable public mutating func allocateZeroed(count: Int, byteCount: Int) -> UnsafeMutableRawPointer? {
        guard count >= 0, byteCount >= 0 else { return nil }
        let (total, overflow) = count.multipliedReportingOverflow(by: byteCount)
        guard !overflow else { return nil }
        if total <= SizeClass.largestByteCount {
            guard let block = allocateSmall(classIndex: SizeClass.index(forByteCount: total)) else { return nil }
            if !block.isZeroed { BlockBytes.zero(at: block.address, byteCount: total) }
            return userPointer(block.address)
        }
        if total <= Self.largestMediumByteCount {
            guard let address = allocateMedium(byteCount: total, alignment: 16) else { return nil }
            BlockBytes.zero(at: address, byteCount: total)
            return userPointer(address)
        }
        // A fresh mapping is already zero (the page source zeroed it); a recycled one is not.
        guard let block = allocateLarge(byteCount: total, alignment: 16) else { return nil }
        if !block.isZeroed { BlockBytes.zero(at: block.address, byteCount: total) }
        return userPointer(block.address)
    }

    /// posix_memalign: `byteCount` bytes at a multiple of `alignment`, which must be a power of
    /// two and a multiple of 8 (sizeof(void *)), else `.invalidArgument` (EINVAL);
    /// `.outOfMemory` (ENOMEM) when the pages cannot be had.
    @inlinable public mutating func allocateAligned(byteCount: Int, alignment: Int) throws(MallocErrno) -> UnsafeMutableRawPointer
    {
        guard alignment >= 8, alignment & (alignment &- 1) == 0 else { throw .invalidArgument }
        guard byteCount >= 0 else { throw .outOfMemory }
        if alignment <= 16 {
            guard let pointer = allocate(byteCount: byteCount) else { throw .outOfMemory }
            return pointer
        }
        if byteCount <= SizeClass.largestByteCount && alignment <= SpanRef.dataOffset {
            let base = SizeClass.index(forByteCount: max(byteCount, alignment))
            let index = SizeClass.index(atLeast: base, alignedTo: alignment)
            guard let block = allocateSmallAligned(classIndex: index, alignment: alignment) else { throw .outOfMemory }
            return userPointer(block.address)
        }
        guard let address = allocateBeyondSmall(byteCount: byteCount, alignment: alignment) else {
            throw .outOfMemory
        }
        return userPointer(address)
    }

    /// malloc_usable_size: bytes the block may hold (>= what was asked for); 0 for nil. A bad
    /// pointer is reported and answers 0.
    @inlinable public mutating func usableByteCount(of pointer: UnsafeMutableRawPointer?) -> Int {
        guard let pointer else { return 0 }
        switch locate(UInt(pointer)) {
        case .success(let block): return block.usableBytes
        case .failure(let error):
            report(error)
            return 0
        }
    }

    /// Medium or large allocation (byteCount > 4 KiB, or an alignment small spans cannot give).
    @inlinable mutating func allocateBeyondSmall(byteCount: Int, alignment: Int) -> UInt? {
        // A negative count is a size_t above Int.max from a C caller: no such memory exists.
        guard byteCount >= 0 else { return nil }
        if byteCount <= Self.largestMediumByteCount && alignment <= Self.largestMediumAlignment {
            return allocateMedium(byteCount: byteCount, alignment: alignment)
        }
        return allocateLarge(byteCount: byteCount, alignment: alignment)?.address
    }

    /// free() of a pointer that is not in a small span. Kept out of line so that the small fast
    /// path is one compare and branch on the owner kind rather than a jump table (measured).
    @inlinable @inline(never) mutating func freeBeyondSmall(_ address: UInt, owner: UInt64) -> HeapError? {
        let base = UInt(truncatingIfNeeded: owner & ~3)
        switch OwnerKind(rawValue: owner & 3) {
        case .medium: return freeMedium(address, region: RegionRef(containing: base))
        case .large: return freeLarge(address, block: LargeRef(base: base))
        case .small, nil: return .foreignPointer(VirtualAddress(UInt64(address)))
        }
    }

    // Helpers that are not inlined are `mutating` (or static) even when they only read: calling a
    // non-mutating method from a mutating one makes Swift copy the whole ~2 KiB heap value to pass
    // it as `self`, which showed up as a memcpy on every medium free before this rule.
    @inlinable @inline(never) mutating func report(_ error: HeapError) { errorHandler(error) }
}

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
    // free's fast path relies on the order: `state + (usedCount == 0 ? 1 : 0) >= full` is exactly
    // "full, or partial and now empty" for a span that had a live slot (never `.empty`).
}

/// Per size class: the span malloc pops from and the free list malloc pops (tcmalloc's and
/// mimalloc's shape: malloc's chain is class table -> this state -> slot, and never reads the
/// span header while the list lasts). 32 bytes, so one class's state never straddles a cache
/// line; the partial lists are kept apart (`partialSpans`) for that reason.
///
/// The class list holds free slots of the current span only: free() pushes there when the slot's
/// span is current, else onto that span's own list (in its header), which is taken whole
/// (gatherFreeList) once the span is current and the class list has run dry. While slots sit on
/// the class list the span counts them as used (its usedCount = carved slots - length of its
/// own list), so it settles nothing when it stops being current: it does so only with an empty
/// class list (trim, the one other place a current span leaves, settles first).
@usableFromInline struct SizeClassState {
    /// First slot of the class list (0: empty); every one is a free slot of `current` (a link
    /// damaged by a use-after-free write reaches the head unchecked: popClassSlot checks the head
    /// before it reads it).
    @usableFromInline var freeHead: UInt = 0
    @usableFromInline var current: UInt = 0
    /// (current's bumpOffset - SpanRef.dataOffset) / 16, kept by carve, gather and a span's
    /// becoming current: every link on the class list lies below, which is what popClassSlot
    /// checks the head against.
    @usableFromInline var listCarvedUnits: UInt = 0
    /// The class's slot size (noteLive's argument on the fast path).
    @usableFromInline var slotSize: Int = 0

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
    /// `secret ^ freeMarkerConstant`, so a slot's free marker is one xor away (freeMarker).
    @usableFromInline let markerKey: UInt64
    /// SizeClass.index for every size 0 ... 4096 rounded up to 16 bytes: entry (size + 15) / 16.
    /// One byte load instead of the class arithmetic on malloc's path (every class size is a
    /// multiple of 16, so the rounding never changes the class); derived from SizeClass.index at
    /// init, and compared with it by the invariant checker.
    @usableFromInline var classOfGranule: InlineArray<257, UInt8> = InlineArray(repeating: 0)

    @usableFromInline var classes: InlineArray<48, SizeClassState> = InlineArray(repeating: SizeClassState())
    /// Per size class: its partial spans, oldest first (through SpanHeader.listLinks).
    @usableFromInline var partialSpans: InlineArray<48, IntrusiveQueue<SpanRef>> = InlineArray(repeating: IntrusiveQueue())
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
    /// The peak held bytes below which no class's idle current span is looked for again: set
    /// when a search found none (UserHeap+Mapping.swift, takeIdleCurrentSpan).
    @usableFromInline var idleSearchPeakBytes = 0

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
        self.markerKey = secret ^ Self.freeMarkerConstant
        self.errorHandler = errorHandler
        for granule in 0 ..< classOfGranule.count {
            classOfGranule[granule] = UInt8(SizeClass.index(forByteCount: granule &<< 4))
        }
        for index in 0 ..< SizeClass.count { classes[index].slotSize = SizeClass.byteCount(ofClass: index) }
    }

    /// The small class of a request of `byteCount` <= SizeClass.largestByteCount bytes.
    @inline(__always)
    @inlinable func classIndex(forByteCount byteCount: Int) -> Int {
        Int(classOfGranule[(byteCount &+ 15) &>> 4])
    }

    /// malloc: at least `byteCount` bytes, 16-aligned; nil when out of memory (or byteCount < 0).
    /// `allocate(byteCount: 0)` returns a unique 16-byte block.
    /// The fast path (a slot popped or carved from the class's current span) is inline and needs no
    /// callee-saved register: everything else is one call in tail position to a static function
    /// that takes the heap as an argument (a `mutating` callee would need `self` in r13, which
    /// every caller then saves and restores on the fast path too). There is one such call site,
    /// not one per tier: with two, the stack adjustment a call needs was made on entry, on the
    /// fast path too (a push and a pop per malloc; with one, the compiler sinks it to the call).
    @inline(__always)
    @inlinable public mutating func allocate(byteCount: Int) -> UnsafeMutableRawPointer? {
        if _fastPath(UInt(bitPattern: byteCount) <= UInt(SizeClass.largestByteCount)) {
            let address = takeSlotFast(classIndex: classIndex(forByteCount: byteCount)).address
            if _fastPath(address != 0) { return userPointer(address) }
        }
        return Self.allocateOffFastPath(&self, byteCount: byteCount)
    }

    /// malloc off the fast path (see allocate): a small class without a slot at hand, or beyond.
    @inlinable @inline(never) static func allocateOffFastPath(_ heap: inout Self, byteCount: Int) -> UnsafeMutableRawPointer? {
        if UInt(bitPattern: byteCount) <= UInt(SizeClass.largestByteCount) {
            return allocateSmallOffFastPath(&heap, classIndex: heap.classIndex(forByteCount: byteCount))
        }
        return allocateBeyondSmall(&heap, byteCount: byteCount)
    }

    /// malloc of a small class whose class list and current span had no slot at hand (or a
    /// damaged class list head: allocateSmall reports it).
    @inlinable @inline(never) static func allocateSmallOffFastPath(
        _ heap: inout Self, classIndex index: Int
    ) -> UnsafeMutableRawPointer? {
        let block =
            heap.classes[index].freeHead != 0
            ? heap.allocateSmall(classIndex: index) : heap.allocateSmallSlow(classIndex: index)
        return block.map { userPointer($0.address) }
    }

    /// malloc beyond the small tier.
    @inlinable @inline(never) static func allocateBeyondSmall(_ heap: inout Self, byteCount: Int) -> UnsafeMutableRawPointer? {
        // 0 ... 128 KiB (a negative count, a size_t above Int.max, is not): the medium tier inline.
        if UInt(bitPattern: byteCount) <= UInt(Self.largestMediumByteCount) {
            return heap.allocateMediumInline(byteCount: byteCount, alignment: 16).map(userPointer)
        }
        return heap.allocateBeyondSmall(byteCount: byteCount, alignment: 16).map(userPointer)
    }

    /// free: returns a block. nil is a no-op; a pointer this heap did not hand out, or already
    /// freed, is reported to the error handler and nothing changes. (Inline part: as allocate's.)
    @inline(__always)
    @inlinable public mutating func free(_ pointer: UnsafeMutableRawPointer?) {
        // nil needs no test here: granule 0 is never a span's (no mapping starts at address 0),
        // so nil takes freeBeyondSmall's path, which returns for it.
        let address = UInt(bitPattern: pointer)
        // One byte of the granule map says whether the granule is ours and what owns it; a small
        // span's header is then the pointer masked to 64 KiB (no header is read before the map
        // has confirmed the granule, so a wild pointer is reported, never dereferenced).
        let entry = directory.entry(address)
        if _fastPath(entry == UInt8(OwnerKind.small.rawValue)) {
            freeSmall(address, spanBase: address & ~UInt(SpanRef.alignment &- 1))
            return
        }
        Self.freeBeyondSmall(&self, address, entry: entry)
    }

    /// calloc: `count * byteCount` zeroed bytes; nil on overflow of the product or out of memory.
    @inlinable public mutating func allocateZeroed(count: Int, byteCount: Int) -> UnsafeMutableRawPointer? {
        guard count >= 0, byteCount >= 0 else { return nil }
        let (total, overflow) = count.multipliedReportingOverflow(by: byteCount)
        guard !overflow else { return nil }
        if total <= SizeClass.largestByteCount {
            let index = classIndex(forByteCount: total)
            var block = takeSlotFast(classIndex: index)
            if block.address == 0 {
                guard let slow = allocateSmall(classIndex: index) else { return nil }
                block = slow
            }
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

    /// free() of a pointer that is not in a small span (`entry`: its granule's map byte). Kept
    /// out of line so that the small fast path is one compare and branch on the owner kind
    /// rather than a jump table (measured).
    @inlinable @inline(never) static func freeBeyondSmall(_ heap: inout Self, _ address: UInt, entry: UInt8) {
        guard address != 0 else { return }  // free(nil)
        let error: HeapError?
        // One dispatch on the map byte's kind (decoding the owner first and then switching on it
        // took two); a medium region's base is the pointer masked to 256 KiB.
        switch OwnerKind(rawValue: UInt64(entry & 3)) {
        case .medium: error = heap.freeMedium(address, region: RegionRef(containing: address))
        case .large:
            error = heap.freeLarge(address, block: LargeRef(base: GranuleMap.largeBase(of: address, entry: entry)))
        case .small, nil: error = .foreignPointer(VirtualAddress(UInt64(address)))
        }
        if let error { heap.report(error) }
    }

    // Helpers that are not inlined are `mutating` (or static) even when they only read: calling a
    // non-mutating method from a mutating one makes Swift copy the whole ~2 KiB heap value to pass
    // it as `self`, which showed up as a memcpy on every medium free before this rule.
    @inlinable @inline(never) mutating func report(_ error: HeapError) { errorHandler(error) }
}

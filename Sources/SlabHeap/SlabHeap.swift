// SlabHeap: a SLUB-like slab layer in front of the buddy heap (Sources/BuddyHeap), which stays
// the page-level allocator beneath it.
//
// Algorithm
// ---------
// Small requests (<= the largest class, alignment <= 16) are rounded up to one of the size
// classes (SlabSizeClasses.swift: fitted to the slab, so a slab's tail is under 16 bytes per
// object) and served by that class's cache. A cache keeps slabs: buddy blocks of 16, 32 or 64 KiB
// aligned to their size, each cut into equal object slots after a 64-byte header
// (SlabMemory.swift). Free objects form singly linked lists through their own first 8 bytes (the
// free pointer inside the free object, as SLUB does).
//
// As in SLUB, one slab per cache is active: its free objects are the cache's own list
// (SlabHeap.activeFreeLists, SLUB's per-cpu freelist). Allocation pops that list: a load of the
// object's link, a store of the new head, a store clearing the object's free marker, the counters;
// no slab header is read. Free masks the pointer down to its slab (pointer & ~(smallest slab - 1)),
// recognises a slab by its cookie (secret XOR slab address: a slab is never found by trusting a
// caller's bytes alone), checks the slot (inside the object area and at a slot start: one
// subtract, one compare, one multiply-compare), then the free marker (word 1 of every free
// object: secret ^ address ^ constant); an object of the active slab is pushed on the cache's list.
// Other slabs keep their own free list and live count in the header (slow path, as are a slab
// becoming partial or empty). When the cache's list runs dry the active slab is full: the oldest
// partial slab becomes active, its whole list moving to the cache; else a new slab comes from the
// buddy heap; when the buddy heap has no room, the next larger class with a free object serves
// the request (a fuller heap before the first failure). A slab that becomes empty (not the active
// one) is kept while the cache has no other empty slab and otherwise goes back to the buddy heap.
//
// Checks every free makes: foreign (the buddy heap, for a pointer in no slab), metadata, interior,
// misaligned and never-allocated pointers (the slot check), double free (the marker; an object
// carrying it is confirmed by walking its slab's and the cache's lists, so user data that equals
// the marker costs a walk and is never reported). With poisoning on (debugOptions) no slab is
// active: every operation takes the slow path, which poisons a freed object and verifies the
// poison and marker of an object handed out; the fast paths never test the switch.
//
// Named caches (createCache) hold one kind of kernel object each, on slabs of their own, with
// the object size made exact (rounded to 16 bytes), so frequent kernel objects neither share
// slabs with nor round up like kmalloc's classes. Requests above the largest class, or aligned
// beyond 16 bytes, go straight to the buddy heap.
//
// Invariants (checkInvariants verifies each, with the buddy heap's own)
//   slabs:     every slab of a cache is on its all-list once, is a live buddy block of
//              slabBytes at its own address, carries cookie == secret ^ address and its cache
//   lists:     each free list (a slab's, the cache's for its active slab) visits distinct slot
//              starts of its slab, each carrying the free marker, without a cycle; a slab's
//              live count == capacity - its list's length; the active slab's header says free head
//              0 and live == capacity, and the cache's list holds only its objects
//   partial:   a slab other than the active one is on its cache's partial list iff live < capacity;
//              the list's back links are sound and its recorded tail is its last slab
//   counts:    cache allocations - frees == liveOutsideActive + the active slab's live objects,
//              liveOutsideActive == sum of the other slabs' live counts; empty slabs (other
//              than the active one) == slabs with live 0 <= retainedEmptySlabs (one per cache),
//              and that slab is the cache's `emptySlab`; activeSlabCount == caches with one
// Policy (not an invariant the checker walks): when a direct free leaves an arena holding only
// kept empty slabs and empty active slabs, they go back, so the arena can
// (releaseSlabsPinningArena).
//
// Not thread-safe: the kernel serialises calls (interrupts off), as for the buddy heap.

import MemoryCore
import BuddyHeap

/// How a slab heap is shaped.
public struct SlabConfiguration: Sendable {
    /// log2 of the smallest slab's bytes (14: 16 KiB, the default).
    public var slabShift: Int
    /// log2 of the largest slab's bytes (slabShift + 2 unless given): a class's slab is the smallest
    /// that holds 16 of its objects (SlabSizeClasses.swift).
    public var largestSlabShift: Int
    /// The largest nominal generic class: at most 4096 and at most the largest slab / 8, so
    /// every slab holds several objects. Requests above the largest fitted class
    /// (the largest size itself is always a class) go to the buddy heap.
    public var largestClassBytes: Int
    /// Keys the slab cookie (the kernel passes a boot-time random value).
    public var secret: UInt64

    /// The smallest slab size the kernel uses (measured: `make bench FILTER=slab`, lines
    /// slab_fill*); the largest is 4 times it unless given.
    public static let defaultSlabShift = 14

    public init(
        slabShift: Int = defaultSlabShift, largestSlabShift: Int? = nil, largestClassBytes: Int = largestSlabClassBytes,
        secret: UInt64
    ) {
        self.slabShift = slabShift
        self.largestSlabShift = largestSlabShift ?? slabShift + 2
        self.largestClassBytes = largestClassBytes
        self.secret = secret
    }

    /// The first problem with this configuration, or nil.
    public func problem(arenaBytes: Int) -> SlabConfigurationError? {
        guard slabShift >= 9, largestSlabShift >= slabShift, largestSlabShift - slabShift <= 4,
            1 << largestSlabShift <= arenaBytes / 4
        else { return .slabShiftOutOfRange }
        guard largestClassBytes >= 16, largestClassBytes <= largestSlabClassBytes,
            largestClassBytes <= (1 << largestSlabShift) / 8
        else { return .largestClassOutOfRange }
        return nil
    }
}

public enum SlabConfigurationError: Error, Hashable, Sendable {
    case slabShiftOutOfRange
    case largestClassOutOfRange
    case buddy(HeapConfigurationError)
}

/// How many caches a slab heap can hold: the generic classes and the named caches.
public let slabCacheCapacity = 64

public struct SlabHeap<Source: ArenaSource> {
    /// The page-level allocator beneath: slabs and large requests come from it.
    public var buddy: BuddyHeap<Source>
    @usableFromInline var caches = InlineArray<64, SlabCache>(repeating: SlabCache())
    /// Each cache's list: its active slab's free objects, linked through their first word (0:
    /// none). One word per cache here at the top level, not a field of the 160-byte SlabCache:
    /// free pushes onto it at an address computed from the granule map's byte, and the next
    /// allocation's load of that head waits until the store's address is known, so every step
    /// from the byte to the address is on the path of an alloc/free pair. A scaled index is one
    /// step; index * 160 + the field's offset took three (issue 10, round 18, `SwiftMMBench
    /// buddy-slab`, quiet sets of 8-16 interleaved runs: pairs 6.7-6.9 -> 3.8-6.3 ns, whose
    /// rounds sit on two levels near 4.4 and 6.1 ns in shares that move from set to set;
    /// ratio_vs_glibc medians 1.21-1.23 -> 1.35-1.98; of 420 run medians, 84 runs x 5 sizes,
    /// one fell to 0.71 and the rest were >= 1.21).
    /// Reading the cache index from the slab header instead (mask, one load) took the pairs to 6.0
    /// ns but larson from 1.13 to 1.04x glibc: a header read per free misses there.
    @usableFromInline var activeFreeLists = InlineArray<64, UInt64>(repeating: 0)
    /// The smallest slab's bytes, and its mask: pointer & slabMask finds the header of every
    /// object of a smallest slab and of the first 2^slabShift bytes of a larger one.
    @usableFromInline let slabBytes: Int
    @usableFromInline let slabMask: UInt64
    @usableFromInline let smallestSlabShift: Int
    @usableFromInline let largestSlabShift: Int
    @usableFromInline let secret: UInt64
    /// Generic classes 0 ..< genericClassCount; named caches follow up to cacheCount.
    @usableFromInline let genericClassCount: Int
    @usableFromInline let largestClassBytes: Int
    /// SlabSizeClasses.classOfGranule, kept here at the top level of the heap: read in place. (Inside
    /// a nested struct the compiler copied all its bytes to the stack on every allocation.)
    @usableFromInline var classOfGranule: InlineArray<512, UInt8>
    public private(set) var cacheCount: Int
    /// An arena the buddy heap holds (`noArena`: none yet): a pointer inside it may be masked and
    /// read.
    @usableFromInline var recentArena: UInt64 = noArena
    /// Where recentArena's region of the granule map starts, minus recentArena >> smallestSlabShift
    /// (SlabHeap+GranuleMap.swift).
    @usableFromInline var recentMapBias = 0
    /// The granule map (SlabHeap+GranuleMap.swift): a byte per smallest-slab granule of up to
    /// `granuleMapSlots` arenas, the cache index of the slab there or unknownCache. Read in place
    /// (top level).
    @usableFromInline var granuleCaches = InlineArray<4096, UInt8>(repeating: unknownCache)
    /// The arena each slot describes, and how many mapped slabs it holds (0: the slot is unused).
    @usableFromInline var granuleMapArenas = InlineArray<8, UInt64>(repeating: noArena)
    @usableFromInline var granuleMapSlabCounts = InlineArray<8, Int>(repeating: 0)
    @usableFromInline let granuleMapSlots: Int
    @usableFromInline let granulesPerArena: Int
    /// Never equal to `address & arenaMask` (whose low bits are clear), so free tests one compare.
    @usableFromInline static var noArena: UInt64 { ~0 }
    @usableFromInline let arenaMask: UInt64
    @usableFromInline var counters = SlabCounters()
    /// `.poisonFreed` is on (see `debugOptions`): free objects hold the poison byte after their
    /// free pointer and marker, and no slab is active.
    @usableFromInline var poisonObjects = false
    /// Caches whose `emptySlab` is set, and caches with an active slab: a direct free checks its
    /// arena only when that arena's live blocks are at most this many (releaseSlabsPinningArena),
    /// so the common direct free costs one compare.
    @usableFromInline var keptEmptySlabCount = 0
    @usableFromInline var activeSlabCount = 0

    public init(buddy: BuddyHeap<Source>, configuration: SlabConfiguration) throws(SlabConfigurationError) {
        if let problem = configuration.problem(arenaBytes: buddy.arenaBytes) { throw problem }
        self.buddy = buddy
        slabBytes = 1 << configuration.slabShift
        slabMask = ~UInt64(slabBytes - 1)
        smallestSlabShift = configuration.slabShift
        largestSlabShift = configuration.largestSlabShift
        arenaMask = ~UInt64(buddy.arenaBytes - 1)
        let arenaShift = buddy.arenaBytes.trailingZeroBitCount
        granulesPerArena = 1 << (arenaShift - configuration.slabShift)
        granuleMapSlots = Self.granuleMapSlotCount(arenaShift: arenaShift, granuleShift: configuration.slabShift)
        secret = configuration.secret
        let classes = SlabSizeClasses(
            smallestSlabShift: configuration.slabShift, largestSlabShift: configuration.largestSlabShift,
            largestBytes: configuration.largestClassBytes)
        classOfGranule = classes.classOfGranule
        largestClassBytes = classes.largest
        genericClassCount = classes.count
        cacheCount = genericClassCount
        for index in 0 ..< genericClassCount {
            caches[index].shape = SlabShape(objectBytes: Int(classes.bytes[index]), slabBytes: 1 << Int(classes.slabShift[index]))
            caches[index].name = "kmalloc"
        }
    }

    /// A named cache for objects of `objectBytes` (1 ... 4096, at least two per slab) aligned to `alignment`
    /// (a power of two, 16 ... 4096), or nil when the cache table is full or a value is out of
    /// range. The object size is made exact: rounded up to a multiple of the alignment only.
    public mutating func createCache(name: StaticString, objectBytes: Int, alignment: Int = 16) -> SlabCacheID? {
        guard cacheCount < slabCacheCapacity, objectBytes >= 1, objectBytes <= largestSlabClassBytes,
            alignment >= 16, alignment <= 4096, alignment & (alignment - 1) == 0
        else { return nil }
        let bytes = (objectBytes + alignment - 1) & ~(alignment - 1)
        var shift = smallestSlabShift
        while shift < largestSlabShift
            && SlabShape(objectBytes: bytes, slabBytes: 1 << shift, alignment: alignment).capacity
                < SlabSizeClasses.minimumObjectsPerSlab
        {
            shift += 1
        }
        let shape = SlabShape(objectBytes: bytes, slabBytes: 1 << shift, alignment: alignment)
        guard shape.capacity >= 2 else { return nil }
        caches[cacheCount].shape = shape
        caches[cacheCount].name = name
        cacheCount += 1
        return SlabCacheID(index: cacheCount - 1)
    }

    // MARK: Allocation

    /// `byteCount` bytes aligned to `alignment` (a power of two), or nil when out of memory or
    /// the request is invalid.
    @inlinable @inline(__always)
    public mutating func allocate(byteCount: Int, alignment: Int = 16) -> UnsafeMutableRawPointer? {
        guard UInt(bitPattern: byteCount) <= UInt(largestClassBytes), UInt(bitPattern: alignment) &- 1 < 16 else {
            return allocateDirect(byteCount: byteCount, alignment: alignment)
        }
        let index = Int(classOfGranule[SlabSizeClasses.granule(of: byteCount)])
        caches[index].requestedBytesTotal &+= byteCount
        return allocateObject(cache: index)
    }

    /// An object from named cache `cache`, or nil when out of memory.
    @inlinable
    public mutating func allocate(from cache: SlabCacheID) -> UnsafeMutableRawPointer? {
        caches[cache.index].requestedBytesTotal &+= caches[cache.index].shape.objectBytes
        return allocateObject(cache: cache.index)
    }

    /// Pops the cache's list (the active slab's free objects), else the slow path.
    @inlinable @inline(__always)
    mutating func allocateObject(cache index: Int) -> UnsafeMutableRawPointer? {
        let object = activeFreeLists[index]
        guard object != 0 else { return allocateSlow(cache: index) }
        return popActive(object, cache: index)
    }

    /// Hands out `object`, the head of the cache's list (not 0).
    @inlinable @inline(__always)
    mutating func popActive(_ object: UInt64, cache index: Int) -> UnsafeMutableRawPointer {
        activeFreeLists[index] = SlabMemory.load(object, 0)
        SlabMemory.store(object, SlabMemory.markerOffset, 0)  // a live object does not carry the marker
        caches[index].allocations &+= 1
        return SlabMemory.pointer(object)
    }

    /// The cache's list is empty (its active slab full): the next partial slab, else a new slab
    /// from the buddy heap, else a larger class's object.
    @inlinable @inline(never)
    mutating func allocateSlow(cache index: Int) -> UnsafeMutableRawPointer? {
        if let object = objectFromSlabs(cache: index) { return object }
        if addSlab(cache: index), let object = objectFromSlabs(cache: index) { return object }
        guard index < genericClassCount else { return nil }
        var larger = index + 1
        while larger < genericClassCount {
            if activeFreeLists[larger] != 0 {
                counters.servedByLargerClass += 1
                return popActive(activeFreeLists[larger], cache: larger)
            }
            if let object = objectFromSlabs(cache: larger) {
                counters.servedByLargerClass += 1
                return object
            }
            larger += 1
        }
        counters.failedAllocations += 1
        return nil
    }

    /// An object from the cache's oldest partial slab (made active), or nil when it has none. With
    /// poisoning on, one object straight off that slab's list, its poison verified.
    @inlinable mutating func objectFromSlabs(cache index: Int) -> UnsafeMutableRawPointer? {
        deactivate(cache: index)
        let slab = caches[index].partial.head
        guard slab != 0 else { return nil }
        if poisonObjects { return popVerified(slab: slab, cache: index) }
        unlinkPartial(slab, cache: index)
        let live = Int(SlabMemory.load32(slab, SlabMemory.liveCountOffset))
        if live == 0 { forgetEmpty(slab, cache: index) }
        caches[index].liveOutsideActive -= live
        activeFreeLists[index] = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, 0)
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, UInt32(caches[index].shape.capacity))
        caches[index].activeSlab = slab
        activeSlabCount += 1
        return popActive(activeFreeLists[index], cache: index)
    }

    /// Poisoning on: the first object of `slab`'s list, its marker and poison verified (damage is
    /// counted in useAfterFreeWrites, never trapped).
    @usableFromInline mutating func popVerified(slab: UInt64, cache index: Int) -> UnsafeMutableRawPointer {
        let object = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        let objectBytes = caches[index].shape.objectBytes
        if SlabMemory.load(object, SlabMemory.markerOffset) != SlabMemory.marker(object, secret: secret)
            || !SlabMemory.isPoisoned(object: object, objectBytes: objectBytes)
        {
            counters.useAfterFreeWrites += 1
        }
        let next = SlabMemory.load(object, 0)
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, next)
        SlabMemory.store(object, SlabMemory.markerOffset, 0)
        let live = SlabMemory.load32(slab, SlabMemory.liveCountOffset)
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, live + 1)
        if live == 0 { forgetEmpty(slab, cache: index) }
        if next == 0 { unlinkPartial(slab, cache: index) }
        caches[index].liveOutsideActive += 1
        caches[index].allocations &+= 1
        return SlabMemory.pointer(object)
    }

    /// The cache's active slab (if any) goes back to being an ordinary slab: the cache's list
    /// becomes its list again, its live count exact; it joins the partial list if it has a free
    /// object, and is kept or released if it has no live one.
    @inlinable mutating func deactivate(cache index: Int) {
        let slab = caches[index].activeSlab
        guard slab != 0 else { return }
        let live = caches[index].activeLive  // the counters' invariant: no walk of the list
        let free = caches[index].shape.capacity - live
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, activeFreeLists[index])
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, UInt32(live))
        activeFreeLists[index] = 0
        caches[index].activeSlab = 0
        activeSlabCount -= 1
        caches[index].liveOutsideActive += live
        if free > 0 { linkPartial(slab, cache: index) }
        if live == 0 { slabBecameEmpty(slab, cache: index) }
    }

    /// The kept empty slab is about to hold a live object (or be active).
    @inlinable mutating func forgetEmpty(_ slab: UInt64, cache index: Int) {
        caches[index].emptySlabs -= 1
        caches[index].emptySlab = 0
        keptEmptySlabCount -= 1
    }

    /// Takes a slab from the buddy heap for cache `index` (on its partial list, kept as its empty
    /// slab); false when there is none.
    @usableFromInline mutating func addSlab(cache index: Int) -> Bool {
        let shape = caches[index].shape
        guard let raw = buddy.allocate(byteCount: shape.slabBytes, alignment: shape.slabBytes) else { return false }
        let slab = SlabMemory.address(raw)
        SlabMemory.format(slab: slab, cookie: secret ^ slab, cacheIndex: index)
        mapSlab(slab, bytes: shape.slabBytes, cache: index)
        SlabMemory.threadFreeList(
            slab: slab, firstObject: shape.firstObject, objectBytes: shape.objectBytes, capacity: shape.capacity,
            secret: secret)
        if poisonObjects {
            SlabMemory.poisonFreeObjects(from: SlabMemory.load(slab, SlabMemory.freeHeadOffset), objectBytes: shape.objectBytes)
        }
        SlabMemory.link(slab, at: SlabMemory.allNextOffset, head: &caches[index].allHead)
        linkPartial(slab, cache: index)
        caches[index].slabCount += 1
        caches[index].emptySlabs += 1
        caches[index].emptySlab = slab
        keptEmptySlabCount += 1
        counters.slabsTaken += 1
        counters.slabBytesTaken += shape.slabBytes
        return true
    }

    /// Requests the slabs do not serve: straight to the buddy heap.
    @inline(never) @usableFromInline
    mutating func allocateDirect(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        buddy.allocate(byteCount: byteCount, alignment: alignment)
    }

    // MARK: Freeing

    /// Frees an allocation by its pointer alone. Throws, changing nothing but the error count, for
    /// a double free or a pointer this heap never returned (foreign, interior, misaligned).
    @inlinable @inline(__always)
    public mutating func free(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        let address = SlabMemory.address(pointer)
        guard address & arenaMask == recentArena else { return try freeInNewArena(pointer) }
        let cacheByte = mappedCacheByte(of: address)  // the granule map: no header read
        guard cacheByte != unknownCache else { return try freeUnmapped(pointer) }
        let index = Int(cacheByte)
        try freeObject(address, slab: caches[index].shape.slab(holding: address), cache: index)
    }

    /// `free` in the recent arena where the granule map does not know the pointer: the slab
    /// cookie at the smallest mask, else the larger masks, else a buddy block.
    @inlinable @inline(never)
    mutating func freeUnmapped(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        let address = SlabMemory.address(pointer)
        let slab = address & slabMask
        guard SlabMemory.cookie(at: slab) == secret ^ slab else { return try freeBeyondSmallestMask(pointer) }
        try freeObject(address, slab: slab, cache: SlabMemory.cacheIndex(ofSlab: slab))
    }

    /// `free` for a pointer in a held arena whose smallest-slab mask finds no slab: an object of a
    /// larger slab beyond its first 2^slabShift bytes, else a buddy block.
    @inlinable @inline(never)
    mutating func freeBeyondSmallestMask(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        let slab = slabInLargerSizes(holding: SlabMemory.address(pointer))
        guard slab != 0 else { return try freeDirect(pointer) }
        try freeObject(SlabMemory.address(pointer), slab: slab, cache: SlabMemory.cacheIndex(ofSlab: slab))
    }

    /// The slab holding `address` (inside a held arena), or 0. A candidate is a slab when its
    /// cookie matches (only the heap's secret makes one) and `address` lies inside its bytes.
    /// (This and the other queries below are `mutating` only so that `self` is passed by
    /// reference: specialised, a non-mutating method copied the whole 15 KiB heap on every call.)
    @inlinable mutating func slab(holding address: UInt64) -> UInt64 {
        let slab = address & slabMask
        if SlabMemory.cookie(at: slab) == secret ^ slab { return slab }
        return slabInLargerSizes(holding: address)
    }

    /// `slab(holding:)` past the smallest mask: each larger slab size's mask in turn.
    @inlinable mutating func slabInLargerSizes(holding address: UInt64) -> UInt64 {
        var previous = address & slabMask
        var shift = smallestSlabShift + 1
        while shift <= largestSlabShift {
            let candidate = address & ~((1 << UInt64(shift)) &- 1)
            if candidate != previous, SlabMemory.cookie(at: candidate) == secret ^ candidate {
                let index = SlabMemory.cacheIndex(ofSlab: candidate)
                return index < cacheCount && address &- candidate < UInt64(caches[index].shape.slabBytes) ? candidate : 0
            }
            previous = candidate
            shift += 1
        }
        return 0
    }

    /// `free` for a pointer outside the recent arena: the buddy heap says whether an arena holds
    /// it (a foreign pointer is never read through); if so that arena becomes the recent one.
    @inlinable @inline(never)
    mutating func freeInNewArena(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        guard buddy.arenaHolds(pointer) else { return try freeDirect(pointer) }
        let address = SlabMemory.address(pointer)
        setRecentArena(address & arenaMask)
        let slab = slab(holding: address)
        guard slab != 0 else { return try freeDirect(pointer) }
        try freeObject(address, slab: slab, cache: SlabMemory.cacheIndex(ofSlab: slab))
    }

    /// Not a slab object: the buddy heap frees it or names the error. It may release an arena,
    /// so the recent arena is forgotten.
    @inline(never) @usableFromInline
    mutating func freeDirect(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        setRecentArena(Self.noArena)
        try buddy.free(pointer)
        releaseSlabsPinningArena(of: SlabMemory.address(pointer))
    }

    /// Frees the object at `address` of `slab` (a slab of this heap, of cache `index`), or throws
    /// naming the error.
    @inlinable @inline(__always)
    mutating func freeObject(_ address: UInt64, slab: UInt64, cache index: Int) throws(HeapError) {
        let offset = address &- slab &- UInt64(caches[index].shape.firstObject)
        guard offset < caches[index].shape.areaBytes, caches[index].shape.isSlotStart(offset) else {
            return try badFree(address, slab: slab, cache: index)
        }
        let marker = SlabMemory.marker(address, secret: secret)
        guard SlabMemory.load(address, SlabMemory.markerOffset) != marker else {
            return try freeMarked(address, slab: slab, cache: index)
        }
        guard slab == caches[index].activeSlab else { return freeToSlab(address, slab: slab, cache: index) }
        SlabMemory.store(address, SlabMemory.markerOffset, marker)
        pushActive(address, cache: index)
    }

    /// Pushes a freed object of the active slab (its marker already written) onto the cache's list.
    @inlinable @inline(__always)
    mutating func pushActive(_ address: UInt64, cache index: Int) {
        SlabMemory.store(address, 0, activeFreeLists[index])
        activeFreeLists[index] = address
        caches[index].frees &+= 1
    }

    /// A slot start that carries the free marker: a double free when a free list holds it, else a
    /// live object whose bytes happen to equal the marker, freed as any other.
    @inline(never) @usableFromInline
    mutating func freeMarked(_ address: UInt64, slab: UInt64, cache index: Int) throws(HeapError) {
        if isOnFreeList(address, slab: slab, cache: index) {
            counters.errorsDetected += 1
            throw .doubleFree(VirtualAddress(address))
        }
        guard slab == caches[index].activeSlab else { return freeToSlab(address, slab: slab, cache: index) }
        pushActive(address, cache: index)  // the marker is there already
    }

    /// Whether the free list of `slab`, or the cache's when `slab` is active, holds `address`.
    /// Walks at most one slab's capacity of links.
    @usableFromInline mutating func isOnFreeList(_ address: UInt64, slab: UInt64, cache index: Int) -> Bool {
        var link =
            slab == caches[index].activeSlab ? activeFreeLists[index] : SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        var steps = 0
        while link != 0 && steps <= caches[index].shape.capacity {
            if link == address { return true }
            link = SlabMemory.load(link, 0)
            steps += 1
        }
        return false
    }

    /// Frees a live object of `slab`, not the active slab: onto the slab's own list (poisoned
    /// when poisoning is on), which joins the partial list when it was full; an empty slab is
    /// kept or released.
    /// Inline: in a random-free workload about 40 % of frees come here (larson: 162 000 of
    /// 400 000), and the call with its saved registers cost larson 1.23 -> 1.29x glibc (round 18).
    /// Measured, not kept: the user heap's branch-free push (both heads read, the chosen one
    /// written, UserHeap+Small.swift pushFreeSlot) took larson 1.29 -> 1.21 and the pairs
    /// 1.4-1.8 -> 1.31: here the active slab's header would be read and written on every free.
    @inlinable @inline(__always)
    mutating func freeToSlab(_ address: UInt64, slab: UInt64, cache index: Int) {
        let head = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        SlabMemory.store(address, 0, head)
        SlabMemory.store(address, SlabMemory.markerOffset, SlabMemory.marker(address, secret: secret))
        if poisonObjects { SlabMemory.poison(object: address, objectBytes: caches[index].shape.objectBytes) }
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, address)
        if head == 0 { linkPartial(slab, cache: index) }
        let live = SlabMemory.load32(slab, SlabMemory.liveCountOffset) &- 1
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, live)
        caches[index].liveOutsideActive -= 1
        caches[index].frees &+= 1
        if live == 0 { slabBecameEmpty(slab, cache: index) }
    }

    /// The error for a free that failed the slot check; nothing has changed.
    @inline(never) @usableFromInline
    mutating func badFree(_ address: UInt64, slab: UInt64, cache index: Int) throws(HeapError) {
        counters.errorsDetected += 1
        let shape = caches[index].shape
        let pointer = VirtualAddress(address)
        if address &- slab < UInt64(shape.firstObject) { throw .heapMetadataPointer(pointer) }
        if address & 15 != 0 { throw .misalignedPointer(pointer) }
        let offset = address &- slab &- UInt64(shape.firstObject)
        let slot = Int(offset / UInt64(shape.objectBytes))
        if slot >= shape.capacity { throw .neverAllocated(pointer) }  // the slab's unused tail
        let start = slab + UInt64(shape.firstObject + slot * shape.objectBytes)
        throw isLive(start, slab: slab, cache: index)
            ? .interiorPointer(pointer, blockStart: VirtualAddress(start)) : .neverAllocated(pointer)
    }

    /// Whether the slot start `object` of `slab` holds a live object (no free list holds it).
    @usableFromInline mutating func isLive(_ object: UInt64, slab: UInt64, cache index: Int) -> Bool {
        SlabMemory.load(object, SlabMemory.markerOffset) != SlabMemory.marker(object, secret: secret)
            || !isOnFreeList(object, slab: slab, cache: index)
    }

    /// A slab's last object was freed: keep it if the cache keeps no other empty slab, else give it
    /// back to the buddy heap. (Giving a kept slab back here when it is its arena's last live
    /// block made a heap with one arena take and return a slab on every pair; the arena check runs
    /// after direct frees instead: `releaseSlabsPinningArena`.)
    @inline(never) @usableFromInline
    mutating func slabBecameEmpty(_ slab: UInt64, cache index: Int) {
        guard caches[index].emptySlabs >= retainedEmptySlabs else {
            caches[index].emptySlabs += 1
            caches[index].emptySlab = slab
            keptEmptySlabCount += 1
            return
        }
        releaseSlab(slab, cache: index)
    }

    /// When every live block of the arena holding `address` is a kept empty slab or an empty
    /// active slab, gives those slabs back, so the buddy heap can give the arena back as it would
    /// without the slab layer. Called after a direct free (the last non-slab block of an arena
    /// going); O(caches) when the arena has at most that many blocks, else one compare.
    @usableFromInline mutating func releaseSlabsPinningArena(of address: UInt64) {
        let pinning = keptEmptySlabCount + activeSlabCount
        guard pinning > 0, buddy.arenaHolds(SlabMemory.pointer(address)),
            buddy.liveBlockCount(inArenaOf: SlabMemory.pointer(address)) <= pinning
        else { return }
        let arena = address & arenaMask
        var empty = 0
        for index in 0 ..< cacheCount {
            if caches[index].emptySlab != 0 && caches[index].emptySlab & arenaMask == arena { empty += 1 }
            let active = caches[index].activeSlab
            if active != 0 && active & arenaMask == arena && caches[index].activeLive == 0 { empty += 1 }
        }
        guard empty > 0, empty == buddy.liveBlockCount(inArenaOf: SlabMemory.pointer(address)) else { return }
        for index in 0 ..< cacheCount {
            let active = caches[index].activeSlab
            if active != 0 && active & arenaMask == arena { deactivate(cache: index) }
            if caches[index].emptySlab != 0 && caches[index].emptySlab & arenaMask == arena {
                caches[index].emptySlabs -= 1
                releaseSlab(caches[index].emptySlab, cache: index)
            }
        }
    }

    /// Empty slabs each cache keeps for its next allocations.
    @usableFromInline var retainedEmptySlabs: Int { 1 }

    /// Unlinks an empty slab (not the active one) and gives it back to the buddy heap.
    @usableFromInline mutating func releaseSlab(_ slab: UInt64, cache index: Int) {
        SlabMemory.unlink(slab, at: SlabMemory.allNextOffset, head: &caches[index].allHead)
        unlinkPartial(slab, cache: index)
        caches[index].slabCount -= 1
        if caches[index].emptySlab == slab {
            caches[index].emptySlab = 0
            keptEmptySlabCount -= 1
        }
        counters.slabsReturned += 1
        unmapSlab(slab, bytes: caches[index].shape.slabBytes)
        SlabMemory.erase(slab: slab)
        setRecentArena(Self.noArena)
        try? buddy.free(SlabMemory.pointer(slab))
    }

    /// Gives every empty slab back to the buddy heap (active slabs are deactivated first), then
    /// trims the buddy heap.
    public mutating func trim() {
        for index in 0 ..< cacheCount {
            deactivate(cache: index)
            var slab = caches[index].allHead
            while slab != 0 {
                let next = SlabMemory.load(slab, SlabMemory.allNextOffset)
                if SlabMemory.load32(slab, SlabMemory.liveCountOffset) == 0 {
                    caches[index].emptySlabs -= 1
                    releaseSlab(slab, cache: index)
                }
                slab = next
            }
        }
        buddy.trim()
    }

    /// The partial list is first in, first out: a slab joins at the tail, and the next active
    /// slab is its head, the slab partial the longest (so, in a random-free workload, the one with
    /// the most free objects). A last-in-first-out list handed over the slab that had just got
    /// its first free object back, and the cache switched slabs again after one allocation
    /// (round 18, larson: 33 600 -> 12 700 switches per 400 000 steps, 16.0 -> 14.3 ns, 1.12 ->
    /// 1.22x glibc; the user heap's partial spans learned the same in round 16).
    @inlinable @inline(__always)
    mutating func linkPartial(_ slab: UInt64, cache index: Int) {
        SlabMemory.linkLast(slab, at: SlabMemory.partialNextOffset, list: &caches[index].partial)
    }

    @inlinable @inline(__always)
    mutating func unlinkPartial(_ slab: UInt64, cache index: Int) {
        SlabMemory.unlink(slab, at: SlabMemory.partialNextOffset, list: &caches[index].partial)
    }
}

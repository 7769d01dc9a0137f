// SlabHeap: a SLUB-like slab layer in front of the buddy heap (Sources/BuddyHeap), which stays
// the page-level allocator beneath it.
//
// Algorithm
// ---------
// Small requests (<= the largest class, alignment <= 16) are rounded up to one of the size
// classes (SlabSizeClasses.swift: fitted to the slab, so a slab's tail is under 16 bytes per
// object) and served by that class's cache. A cache keeps slabs: buddy
// blocks of `slabBytes` (64 KiB in the kernel) aligned to their size, each cut into equal object
// slots after a header (SlabMemory.swift). Free objects of a slab form a singly linked list
// through their own first 8 bytes (the free pointer inside the free object, as SLUB does), and
// the cache links the slabs that have a free object into a partial list. Allocation pops the
// first free object of the first partial slab: a few loads and stores, no search. Freeing masks
// the pointer down to its slab (pointer & ~(slabBytes - 1)), recognises a slab by its cookie
// (secret XOR slab address: a slab is never found by trusting a caller's bytes alone), then
// checks the slot: inside the object area, at a slot start (else interior or misaligned), and
// its bit in the slab's slot bitmap set (else a double free). A slab that becomes empty is kept
// while the cache has no other empty slab and otherwise goes back to the buddy heap.
// When the buddy heap has no room for a new slab, the request is served by the next larger
// class that has a free object (a fuller heap before the first failure).
//
// Named caches (createCache) hold one kind of kernel object each, on slabs of their own, with
// the object size made exact (rounded to 16 bytes), so frequent kernel objects neither share
// slabs with nor round up like kmalloc's classes. Requests above the largest class, or aligned
// beyond 16 bytes, go straight to the buddy heap.
//
// Invariants (checkInvariants verifies each, with the buddy heap's own)
//   slabs:     every slab of a cache is on its all-list once, is a live buddy block of
//              slabBytes at its own address, carries cookie == secret ^ address and its cache
//   slots:     popcount(bitmap) == live count; the free list visits exactly the capacity - live
//              slots whose bit is clear, each at a slot start, without a cycle
//   partial:   a slab is on its cache's partial list iff live < capacity
//   counts:    cache live objects == sum of its slabs' live counts; empty slabs == slabs with
//              live 0 <= retainedEmptySlabs (one per cache), and that slab is the cache's
//              `emptySlab`
// Policy (not an invariant the checker walks): when a direct free leaves an arena holding only
// kept empty slabs, they go back, so the arena can (releaseSlabsPinningArena).
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
    /// a nested struct the compiler copied all 256 bytes to the stack on every allocation.)
    @usableFromInline var classOfGranule: InlineArray<256, UInt8>
    public private(set) var cacheCount: Int
    /// An arena the buddy heap holds (0: none yet): a pointer inside it may be masked and read.
    @usableFromInline var recentArena: UInt64 = 0
    @usableFromInline let arenaMask: UInt64
    @usableFromInline var counters = SlabCounters()
    /// `.poisonFreed` is on (see `debugOptions`): free objects hold the poison byte after their
    /// free pointer.
    @usableFromInline var poisonObjects = false
    /// Caches whose `emptySlab` is set: a direct free checks its arena only when that arena's
    /// live blocks are this few (releaseSlabsPinningArena), so the common free costs one compare.
    @usableFromInline var keptEmptySlabCount = 0

    public init(buddy: BuddyHeap<Source>, configuration: SlabConfiguration) throws(SlabConfigurationError) {
        if let problem = configuration.problem(arenaBytes: buddy.arenaBytes) { throw problem }
        self.buddy = buddy
        slabBytes = 1 << configuration.slabShift
        slabMask = ~UInt64(slabBytes - 1)
        smallestSlabShift = configuration.slabShift
        largestSlabShift = configuration.largestSlabShift
        arenaMask = ~UInt64(buddy.arenaBytes - 1)
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
        let index = Int(classOfGranule[(max(byteCount, 1) &- 1) >> 4])
        caches[index].requestedBytesTotal &+= byteCount
        if let object = popObject(cache: index) { return SlabMemory.pointer(object) }
        return allocateSlow(cache: index)
    }

    /// An object from named cache `cache`, or nil when out of memory.
    @inlinable
    public mutating func allocate(from cache: SlabCacheID) -> UnsafeMutableRawPointer? {
        caches[cache.index].requestedBytesTotal &+= caches[cache.index].shape.objectBytes
        if let object = popObject(cache: cache.index) { return SlabMemory.pointer(object) }
        return allocateSlow(cache: cache.index)
    }

    /// The first free object of the cache's first partial slab, now allocated, or nil.
    @inlinable @inline(__always)
    mutating func popObject(cache index: Int) -> UInt64? {
        let slab = caches[index].partialHead
        guard slab != 0 else { return nil }
        let object = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        let next = SlabMemory.load(object, 0)
        if poisonObjects { verifyPoison(object: object, objectBytes: caches[index].shape.objectBytes) }
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, next)
        let slot = slotIndex(object &- slab &- UInt64(caches[index].shape.firstObject), caches[index].shape)
        let bits = SlabMemory.bitmapWord(slab, slot)
        SlabMemory.setBitmapWord(slab, slot, bits | (1 << UInt64(slot & 63)))
        let live = SlabMemory.load32(slab, SlabMemory.liveCountOffset)
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, live &+ 1)
        if live == 0 {
            caches[index].emptySlabs &-= 1
            caches[index].emptySlab = 0
            keptEmptySlabCount &-= 1
        }
        if next == 0 { unlinkPartial(slab, cache: index) }
        caches[index].liveObjects &+= 1
        caches[index].allocations &+= 1
        return object
    }

    @inlinable @inline(__always)
    func slotIndex(_ offset: UInt64, _ shape: SlabShape) -> Int {
        Int(truncatingIfNeeded: (offset &* shape.reciprocal) >> 32)
    }

    /// No free object in the cache: a new slab from the buddy heap, else a larger class's object.
    @inline(never) @usableFromInline
    mutating func allocateSlow(cache index: Int) -> UnsafeMutableRawPointer? {
        if addSlab(cache: index), let object = popObject(cache: index) { return SlabMemory.pointer(object) }
        guard index < genericClassCount else { return nil }
        var larger = index + 1
        while larger < genericClassCount {
            if let object = popObject(cache: larger) {
                counters.servedByLargerClass += 1
                return SlabMemory.pointer(object)
            }
            larger += 1
        }
        counters.failedAllocations += 1
        return nil
    }

    /// Takes a slab from the buddy heap for cache `index`; false when there is none.
    @usableFromInline mutating func addSlab(cache index: Int) -> Bool {
        let shape = caches[index].shape
        guard let raw = buddy.allocate(byteCount: shape.slabBytes, alignment: shape.slabBytes) else { return false }
        let slab = SlabMemory.address(raw)
        SlabMemory.format(slab: slab, cookie: secret ^ slab, cacheIndex: index, bitmapWords: shape.bitmapWords)
        SlabMemory.threadFreeList(
            slab: slab, firstObject: shape.firstObject, objectBytes: shape.objectBytes, capacity: shape.capacity)
        if poisonObjects { SlabMemory.poisonFreeObjects(slab: slab, objectBytes: shape.objectBytes) }
        SlabMemory.link(slab, at: SlabMemory.allNextOffset, head: &caches[index].allHead)
        SlabMemory.link(slab, at: SlabMemory.partialNextOffset, head: &caches[index].partialHead)
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
        guard address & arenaMask == recentArena, recentArena != 0 else { return try freeInNewArena(pointer) }
        let slab = address & slabMask
        guard SlabMemory.cookie(at: slab) == secret ^ slab else { return try freeBeyondSmallestMask(pointer) }
        try freeObject(address, slab: slab)
    }

    /// `free` for a pointer in a held arena whose smallest-slab mask finds no slab: an object of a
    /// larger slab beyond its first 2^slabShift bytes, else a buddy block.
    @inline(never) @usableFromInline
    mutating func freeBeyondSmallestMask(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        let slab = slabInLargerSizes(holding: SlabMemory.address(pointer))
        guard slab != 0 else { return try freeDirect(pointer) }
        try freeObject(SlabMemory.address(pointer), slab: slab)
    }

    /// The slab holding `address` (inside a held arena), or 0. A candidate is a slab when its
    /// cookie matches (only the heap's secret makes one) and `address` lies inside its bytes.
    @usableFromInline func slab(holding address: UInt64) -> UInt64 {
        let slab = address & slabMask
        if SlabMemory.cookie(at: slab) == secret ^ slab { return slab }
        return slabInLargerSizes(holding: address)
    }

    /// `slab(holding:)` past the smallest mask: each larger slab size's mask in turn.
    @usableFromInline func slabInLargerSizes(holding address: UInt64) -> UInt64 {
        var previous = address & slabMask
        var shift = smallestSlabShift + 1
        while shift <= largestSlabShift {
            let candidate = address & ~((1 << UInt64(shift)) &- 1)
            if candidate != previous, SlabMemory.cookie(at: candidate) == secret ^ candidate {
                let index = Int(SlabMemory.load32(candidate, SlabMemory.cacheIndexOffset))
                return index < cacheCount && address &- candidate < UInt64(caches[index].shape.slabBytes) ? candidate : 0
            }
            previous = candidate
            shift += 1
        }
        return 0
    }

    /// `free` for a pointer outside the recent arena: the buddy heap says whether an arena holds
    /// it (a foreign pointer is never read through); if so that arena becomes the recent one.
    @inline(never) @usableFromInline
    mutating func freeInNewArena(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        guard buddy.arenaHolds(pointer) else { return try freeDirect(pointer) }
        let address = SlabMemory.address(pointer)
        recentArena = address & arenaMask
        let slab = slab(holding: address)
        guard slab != 0 else { return try freeDirect(pointer) }
        try freeObject(address, slab: slab)
    }

    /// Not a slab object: the buddy heap frees it or names the error. It may release an arena,
    /// so the recent arena is forgotten.
    @inline(never) @usableFromInline
    mutating func freeDirect(_ pointer: UnsafeMutableRawPointer) throws(HeapError) {
        recentArena = 0
        try buddy.free(pointer)
        releaseSlabsPinningArena(of: SlabMemory.address(pointer))
    }

    /// Frees the object at `address` of `slab` (a slab of this heap), or throws naming the error.
    @inlinable @inline(__always)
    mutating func freeObject(_ address: UInt64, slab: UInt64) throws(HeapError) {
        let index = Int(SlabMemory.load32(slab, SlabMemory.cacheIndexOffset))
        let shape = caches[index].shape
        let offset = address &- slab &- UInt64(shape.firstObject)
        let slot = slotIndex(offset, shape)
        let bit: UInt64 = 1 << UInt64(slot & 63)
        guard address &- slab >= UInt64(shape.firstObject), slot < shape.capacity,
            UInt64(slot &* shape.objectBytes) == offset
        else { return try badFree(address, slab: slab, shape) }
        let bits = SlabMemory.bitmapWord(slab, slot)
        guard bits & bit != 0 else { return try badFree(address, slab: slab, shape) }
        SlabMemory.setBitmapWord(slab, slot, bits & ~bit)
        if poisonObjects { SlabMemory.poison(object: address, objectBytes: shape.objectBytes) }
        let head = SlabMemory.load(slab, SlabMemory.freeHeadOffset)
        SlabMemory.store(address, 0, head)
        SlabMemory.store(slab, SlabMemory.freeHeadOffset, address)
        if head == 0 { SlabMemory.link(slab, at: SlabMemory.partialNextOffset, head: &caches[index].partialHead) }
        let live = SlabMemory.load32(slab, SlabMemory.liveCountOffset) &- 1
        SlabMemory.store32(slab, SlabMemory.liveCountOffset, live)
        caches[index].liveObjects &-= 1
        caches[index].frees &+= 1
        if live == 0 { slabBecameEmpty(slab, cache: index) }
    }

    /// The error for a free that failed a slot check; nothing has changed.
    @inline(never) @usableFromInline
    mutating func badFree(_ address: UInt64, slab: UInt64, _ shape: SlabShape) throws(HeapError) {
        counters.errorsDetected += 1
        let pointer = VirtualAddress(address)
        if address &- slab < UInt64(shape.firstObject) { throw .heapMetadataPointer(pointer) }
        if address & 15 != 0 { throw .misalignedPointer(pointer) }
        let offset = address &- slab &- UInt64(shape.firstObject)
        let slot = Int(offset / UInt64(shape.objectBytes))
        if slot >= shape.capacity { throw .neverAllocated(pointer) }  // the slab's unused tail
        let start = slab + UInt64(shape.firstObject + slot * shape.objectBytes)
        let allocated = SlabMemory.bitmapWord(slab, slot) & (1 << UInt64(slot & 63)) != 0
        if start != address {
            throw allocated ? .interiorPointer(pointer, blockStart: VirtualAddress(start)) : .neverAllocated(pointer)
        }
        throw .doubleFree(pointer)
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

    /// When every live block of the arena holding `address` is a kept empty slab, gives those
    /// slabs back, so the buddy heap can give the arena back as it would without the slab layer.
    /// Called after a direct free (the last non-slab block of an arena going); O(caches).
    mutating func releaseSlabsPinningArena(of address: UInt64) {
        guard keptEmptySlabCount > 0, buddy.arenaHolds(SlabMemory.pointer(address)),
            buddy.liveBlockCount(inArenaOf: SlabMemory.pointer(address)) <= keptEmptySlabCount
        else { return }
        let arena = address & arenaMask
        var kept = 0
        for index in 0 ..< cacheCount where caches[index].emptySlab != 0 && caches[index].emptySlab & arenaMask == arena {
            kept += 1
        }
        guard kept > 0, kept == buddy.liveBlockCount(inArenaOf: SlabMemory.pointer(address)) else { return }
        for index in 0 ..< cacheCount where caches[index].emptySlab != 0 && caches[index].emptySlab & arenaMask == arena {
            caches[index].emptySlabs -= 1
            releaseSlab(caches[index].emptySlab, cache: index)
        }
    }

    /// Empty slabs each cache keeps for its next allocations.
    @usableFromInline var retainedEmptySlabs: Int { 1 }

    /// Unlinks an empty slab and gives it back to the buddy heap.
    mutating func releaseSlab(_ slab: UInt64, cache index: Int) {
        SlabMemory.unlink(slab, at: SlabMemory.allNextOffset, head: &caches[index].allHead)
        SlabMemory.unlink(slab, at: SlabMemory.partialNextOffset, head: &caches[index].partialHead)
        caches[index].slabCount -= 1
        if caches[index].emptySlab == slab {
            caches[index].emptySlab = 0
            keptEmptySlabCount -= 1
        }
        counters.slabsReturned += 1
        SlabMemory.erase(slab: slab)
        recentArena = 0
        try? buddy.free(SlabMemory.pointer(slab))
    }

    /// Gives every empty slab back to the buddy heap, then trims the buddy heap.
    public mutating func trim() {
        for index in 0 ..< cacheCount {
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

    @inlinable @inline(__always)
    mutating func unlinkPartial(_ slab: UInt64, cache index: Int) {
        SlabMemory.unlink(slab, at: SlabMemory.partialNextOffset, head: &caches[index].partialHead)
    }
}

// Every raw-pointer read and write of the SlabHeap module lives in this file.
//
// A slab is a buddy block of `slabBytes` bytes aligned to its size. Its header sits at its start:
//
//   offset  0  cookie        secret XOR slab address (a slab is recognised by this alone)
//   offset  8  cache index   UInt32, then the live object count, UInt32
//   offset 16  free head     address of the first free object, 0 when none (or the slab is active)
//   offset 24  all next / all prev          the cache's list of every slab it holds
//   offset 40  partial next / partial prev  the cache's list of slabs with a free object
//   offset 64  the objects, `objectBytes` apart (from 64 rounded up to the objects' alignment)
//
// A free object's first 8 bytes hold the address of the next free object of its list (the free
// pointer inside the free object, as SLUB keeps it), 0 at the end; its second 8 bytes hold the
// free marker (secret ^ address ^ constant, SlabHeap.freeMarker), which a live object never
// keeps; with poisoning on, the rest holds the poison byte.
//
// Contract for every function here: `slab` is the address of a slab this heap created and still
// holds (or, for `cookie(at:)`, an address inside an arena the buddy heap holds), and `object`
// lies inside that slab. The heap checks these before calling.

import MemoryCore
import BuddyHeap

@usableFromInline enum SlabMemory {
    @usableFromInline static let cookieOffset = 0
    @usableFromInline static let cacheIndexOffset = 8
    @usableFromInline static let liveCountOffset = 12
    @usableFromInline static let freeHeadOffset = 16
    @usableFromInline static let allNextOffset = 24
    @usableFromInline static let allPrevOffset = 32
    @usableFromInline static let partialNextOffset = 40
    @usableFromInline static let partialPrevOffset = 48
    /// Bytes of the header; objects start here (rounded up to their alignment).
    @usableFromInline static let headerBytes = 64
    /// Where a free object keeps its free marker (its first word is the free pointer).
    @usableFromInline static let markerOffset = 8
    /// Where the poison of a free object starts (after its free pointer and marker).
    @usableFromInline static let poisonOffset = 16

    @inlinable @inline(__always) static func pointer(_ address: UInt64) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address)).unsafelyUnwrapped
    }

    @inlinable @inline(__always) static func address(_ pointer: UnsafeMutableRawPointer) -> UInt64 {
        UInt64(UInt(bitPattern: pointer))
    }

    @inlinable @inline(__always) static func load(_ address: UInt64, _ offset: Int) -> UInt64 {
        pointer(address).load(fromByteOffset: offset, as: UInt64.self)
    }

    @inlinable @inline(__always) static func store(_ address: UInt64, _ offset: Int, _ value: UInt64) {
        pointer(address).storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
    }

    @inlinable @inline(__always) static func load32(_ address: UInt64, _ offset: Int) -> UInt32 {
        pointer(address).load(fromByteOffset: offset, as: UInt32.self)
    }

    @inlinable @inline(__always) static func store32(_ address: UInt64, _ offset: Int, _ value: UInt32) {
        pointer(address).storeBytes(of: value, toByteOffset: offset, as: UInt32.self)
    }

    /// The free marker of the free object at `object`: without the heap's secret a caller cannot
    /// forge it by accident. A live object's word there is the caller's (it may equal this by
    /// chance: the heap then confirms by walking the free lists).
    @inlinable @inline(__always) static func marker(_ object: UInt64, secret: UInt64) -> UInt64 {
        secret ^ object ^ 0xF8EE_51AB_F8EE_51AB
    }

    /// The cookie word at a candidate slab address (any address inside a held arena).
    @inlinable @inline(__always) static func cookie(at slab: UInt64) -> UInt64 { load(slab, cookieOffset) }
    /// The index of the cache a slab (with a sound cookie) belongs to.
    @inlinable @inline(__always) static func cacheIndex(ofSlab slab: UInt64) -> Int { Int(load32(slab, cacheIndexOffset)) }

    /// Writes a fresh header: cookie, cache, no live objects, no links.
    @usableFromInline static func format(slab: UInt64, cookie: UInt64, cacheIndex: Int) {
        store(slab, cookieOffset, cookie)
        store32(slab, cacheIndexOffset, UInt32(cacheIndex))
        store32(slab, liveCountOffset, 0)
        for offset in stride(from: freeHeadOffset, to: headerBytes, by: 8) { store(slab, offset, 0) }
    }

    /// Threads every object slot onto the slab's free list, lowest address first, each with its
    /// free marker.
    @usableFromInline static func threadFreeList(
        slab: UInt64, firstObject: Int, objectBytes: Int, capacity: Int, secret: UInt64
    ) {
        var next: UInt64 = 0
        var slot = capacity
        while slot > 0 {
            slot -= 1
            let object = slab + UInt64(firstObject + slot * objectBytes)
            store(object, 0, next)
            store(object, markerOffset, marker(object, secret: secret))
            next = object
        }
        store(slab, freeHeadOffset, next)
    }

    /// Fills a free object after its free pointer and marker with the poison byte (debug switch).
    @usableFromInline static func poison(object: UInt64, objectBytes: Int) {
        pointer(object + UInt64(poisonOffset)).initializeMemory(
            as: UInt8.self, repeating: HeapDebugOptions.poisonByte, count: objectBytes - poisonOffset)
    }

    /// Poisons every object on the free list that starts at `head`.
    @usableFromInline static func poisonFreeObjects(from head: UInt64, objectBytes: Int) {
        var object = head
        while object != 0 {
            poison(object: object, objectBytes: objectBytes)
            object = load(object, 0)
        }
    }

    /// True when every byte of a free object after its free pointer and marker still holds the
    /// poison.
    @usableFromInline static func isPoisoned(object: UInt64, objectBytes: Int) -> Bool {
        let bytes = UnsafeRawBufferPointer(start: pointer(object + UInt64(poisonOffset)), count: objectBytes - poisonOffset)
        for byte in bytes where byte != HeapDebugOptions.poisonByte { return false }
        return true
    }

    /// Forgets the cookie before a slab goes back to the buddy heap, so a stale pointer into the
    /// old slab is never taken for a slab object again.
    @usableFromInline static func erase(slab: UInt64) { store(slab, cookieOffset, 0) }

    // MARK: Slab lists (next at `offset`, prev at `offset + 8` of each header; 0 ends a list)

    @inlinable static func link(_ slab: UInt64, at offset: Int, head: inout UInt64) {
        SlabMemory.store(slab, offset, head)
        SlabMemory.store(slab, offset + 8, 0)
        if head != 0 { SlabMemory.store(head, offset + 8, slab) }
        head = slab
    }

    @inlinable static func unlink(_ slab: UInt64, at offset: Int, head: inout UInt64) {
        var list = SlabListEnds()
        list.head = head
        unlink(slab, at: offset, list: &list)
        head = list.head
    }

    /// Links `slab` last on a list that keeps both ends.
    @inlinable static func linkLast(_ slab: UInt64, at offset: Int, list: inout SlabListEnds) {
        SlabMemory.store(slab, offset, 0)
        SlabMemory.store(slab, offset + 8, list.tail)
        if list.tail != 0 { SlabMemory.store(list.tail, offset, slab) } else { list.head = slab }
        list.tail = slab
    }

    /// Unlinks `slab` from a list that keeps both ends (its tail follows when `slab` was last).
    @inlinable static func unlink(_ slab: UInt64, at offset: Int, list: inout SlabListEnds) {
        let next = SlabMemory.load(slab, offset), prev = SlabMemory.load(slab, offset + 8)
        if prev != 0 { SlabMemory.store(prev, offset, next) } else { list.head = next }
        if next != 0 { SlabMemory.store(next, offset + 8, prev) } else { list.tail = prev }
        SlabMemory.store(slab, offset, 0)
        SlabMemory.store(slab, offset + 8, 0)
    }

}

// HeapMemory: the only file of UserMalloc that forms or dereferences raw pointers.
//
// Everything else handles addresses as `UInt` (the hot paths) or `VirtualAddress` (reports) and
// reaches memory through the small typed handles below: `SpanRef`, `RegionRef`, `LargeRef`, the
// block-link and boundary-tag accessors, and the granule map's bytes. Each entry point states
// its contract; the callers establish it (every address they pass was validated against the span
// directory first, or comes from the heap's own lists). List links are read and written by
// MemoryCore's IntrusiveList only: a header declares where they are (an `IntrusiveListLinks`
// field) and its handle conforms to `IntrusiveListNode` with that field's offset
// (HeapLayoutTests checks each offset against MemoryLayout).

import MemoryCore

/// Header of a small-object span (the first 64 bytes of a span of 4 ... 64 KiB; slots follow).
@usableFromInline struct SpanHeader {
    /// `secret ^ span base`: a mismatch means the header was overwritten.
    @usableFromInline var canary: UInt64
    /// Address of the first free slot, 0 when the free list is empty. Each free slot's first word
    /// holds the next free slot's address (0 ends the list).
    @usableFromInline var freeHead: UInt
    /// Links of whichever list the span is on (its class's partial list, or the empty cache).
    @usableFromInline var listLinks: IntrusiveListLinks
    /// Offset of the first never-carved slot: slots below it were handed out at least once.
    @usableFromInline var bumpOffset: UInt32
    /// Offset just past the last slot: dataOffset + capacity * slotSize.
    @usableFromInline var limitOffset: UInt32
    /// Bytes at offsets >= dirtyEnd have never been written since the pages were mapped (zero).
    @usableFromInline var dirtyEnd: UInt32
    @usableFromInline var slotSize: UInt32
    /// SizeClass.reciprocal(ofSlotSize: slotSize).
    @usableFromInline var reciprocal: UInt32
    /// Slots currently handed out.
    @usableFromInline var usedCount: UInt32
    @usableFromInline var classIndex: UInt16
    /// A `SpanState` raw value.
    @usableFromInline var state: UInt8
    /// log2 of the span's mapped bytes (SpanRef.smallestShift ... SpanRef.largestShift); fixed
    /// from the mapping on, whichever class the span serves.
    @usableFromInline var sizeShift: UInt8
}

/// A small-object span: a 64-byte header, then slots. A span maps 4, 8, 16, 32 or 64 KiB, always
/// at a 64 KiB-aligned base, so the span holding a slot is `address & ~(64 KiB - 1)` whatever its
/// size, exactly one span owns a granule, and the rest of a short span's granule is not
/// the heap's (a pointer there is foreign).
@usableFromInline struct SpanRef: Equatable {
    /// Every span base is a multiple of this (the granule map's granule), which is also the largest span.
    @inlinable static var alignment: Int { 1 << 16 }
    @inlinable static var largestShift: Int { 16 }
    @inlinable static var smallestShift: Int { 12 }
    /// Slots start right after the header: 64-aligned, so every class whose size is a multiple
    /// of 32 or 64 has 32- or 64-aligned slots (used by aligned allocation).
    @inlinable static var dataOffset: Int { 64 }

    @usableFromInline let base: UnsafeMutableRawPointer

    /// Contract: `address` lies in a mapped span (checked against the granule map).
    @inlinable @inline(__always) init(containing address: UInt) {
        base = UnsafeMutableRawPointer(bitPattern: address & ~UInt(Self.alignment &- 1)).unsafelyUnwrapped
    }

    /// Contract: `base` is the start of a mapped span whose header was initialised by `format`.
    @inlinable @inline(__always) init(base: UnsafeMutableRawPointer) { self.base = base }

    /// Contract: `base` starts a mapping of 2^sizeShift zeroed bytes owned by the heap, aligned
    /// to `alignment`.
    @inlinable static func format(_ base: UnsafeMutableRawPointer, sizeShift: Int) -> SpanRef {
        base.bindMemory(to: SpanHeader.self, capacity: 1)
        let span = SpanRef(base: base)
        span.header.sizeShift = UInt8(sizeShift)
        return span
    }

    @inlinable @inline(__always) var address: UInt { UInt(bitPattern: base) }

    /// Bytes mapped for this span.
    @inlinable @inline(__always) var byteCount: Int { 1 &<< Int(header.sizeShift) }

    /// SpanHeader.freeHead's offset: after the canary (ListLinkLayoutTests checks it).
    @inlinable static var freeHeadOffset: Int { 8 }

    /// SpanHeader.freeHead in place (free's push selects it or the class list's head).
    @inlinable @inline(__always) var freeHeadPointer: UnsafeMutablePointer<UInt> {
        (base + Self.freeHeadOffset).assumingMemoryBound(to: UInt.self)
    }

    @inlinable @inline(__always) var header: SpanHeader {
        unsafeAddress { UnsafePointer(base.assumingMemoryBound(to: SpanHeader.self)) }
        nonmutating unsafeMutableAddress { base.assumingMemoryBound(to: SpanHeader.self) }
    }
}

/// The first word of a free slot or free medium block: the next element's address (0 = end).
/// Contract: `address` is a free block inside memory the heap owns, 8-byte aligned.
@inlinable @inline(__always) func loadLink(at address: UInt) -> UInt {
    UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped.load(as: UInt.self)
}

/// Contract: as `loadLink`; the block is free (or being freed), so its first word is ours.
@inlinable @inline(__always) func storeLink(_ value: UInt, at address: UInt) {
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped.storeBytes(of: value, as: UInt.self)
}

/// Pushes the free slot at `address` on whichever of two list heads `onFirst` picks: the
/// head's address is selected (a conditional move), then read and written once. (Selecting
/// the values instead reads and writes both heads.) Contract: `first` and `second` point to
/// list heads the heap owns; the slot is free (or being freed), so its first word is ours.
@inlinable @inline(__always) func pushLink(
    _ address: UInt, onFirst: Bool, _ first: UnsafeMutablePointer<UInt>, _ second: UnsafeMutablePointer<UInt>
) {
    let head = onFirst ? first : second
    storeLink(head.pointee, at: address)
    head.pointee = address
}

extension UserHeap {
    /// Pushes the free slot at `address` on class `index`'s list when `onClassList`, else on
    /// `span`'s own list, through pushLink: the class head is addressed in place (the one
    /// pointer into the heap's own storage that free needs), so no branch picks the list.
    /// Contract: as pushLink's; `span` is the slot's span and `index` its class.
    @inlinable @inline(__always) mutating func pushFreeLink(
        _ address: UInt, onClassList: Bool, classIndex index: Int, span: SpanRef
    ) {
        withUnsafeMutablePointer(to: &classes[index].freeHead) { classHead in
            pushLink(address, onFirst: onClassList, classHead, span.freeHeadPointer)
        }
    }
}

/// Word `index` of heap-owned memory at `address` (medium boundary tags and free links, the
/// free marker of a small slot). Contract: `address + 8 * index` lies inside a span or region the
/// heap has mapped, 8-byte aligned.
@inlinable @inline(__always) func loadWord(at address: UInt, _ index: Int) -> UInt64 {
    UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped.load(fromByteOffset: index &<< 3, as: UInt64.self)
}

@inlinable @inline(__always) func storeWord(_ value: UInt64, at address: UInt, _ index: Int) {
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
        .storeBytes(of: value, toByteOffset: index &<< 3, as: UInt64.self)
}

/// The free marker of a small slot: 4 bytes at offset 8 (UserHeap.freeMarker says why only 4).
/// Contract: `address` is a carved slot start of a span the heap has mapped.
@inlinable @inline(__always) func loadMarker(at address: UInt) -> UInt32 {
    UnsafeRawPointer(bitPattern: address).unsafelyUnwrapped.load(fromByteOffset: 8, as: UInt32.self)
}

@inlinable @inline(__always) func storeMarker(_ value: UInt32, at address: UInt) {
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped.storeBytes(of: value, toByteOffset: 8, as: UInt32.self)
}

/// Header of a medium region (first 64 bytes of a 16 ... 256 KiB mapping aligned to 256 KiB);
/// a bitmap with one bit per 16-byte unit (set where a block header starts) follows it, sized for
/// the largest region so that every region has the same first block offset.
@usableFromInline struct RegionHeader {
    @usableFromInline var canary: UInt64
    /// Bytes mapped for the region (RegionRef.smallestByteCount ... RegionRef.alignment).
    @usableFromInline var byteCount: UInt64
    /// Bytes of blocks in use, headers included.
    @usableFromInline var usedBytes: UInt64
    /// Links of the heap's region list.
    @usableFromInline var listLinks: IntrusiveListLinks
}

@usableFromInline struct RegionRef: Equatable {
    /// Every region base is a multiple of this, which is also the largest region: so the offset
    /// of a block in its region is `address & (alignment - 1)` whatever the region's size.
    @inlinable static var alignment: Int { 1 << 18 }
    @inlinable static var smallestByteCount: Int { 1 << 14 }
    @inlinable static var bitmapOffset: Int { 64 }
    /// 2^18 / 16 bits = 2048 bytes (enough for the largest region).
    @inlinable static var bitmapBytes: Int { alignment >> 7 }
    /// The first block header: after header and bitmap, 16-aligned.
    @inlinable static var firstBlockOffset: Int { bitmapOffset + bitmapBytes }
    /// Header, bitmap and end sentinel: bytes of a region no block can use.
    @inlinable static var overheadBytes: Int { firstBlockOffset + 16 }

    @usableFromInline let base: UnsafeMutableRawPointer

    /// Contract: `address` lies in a mapped medium region (checked against the granule map).
    @inlinable @inline(__always) init(containing address: UInt) {
        base = UnsafeMutableRawPointer(bitPattern: address & ~UInt(Self.alignment &- 1)).unsafelyUnwrapped
    }

    /// Contract: `base` starts a region of `byteCount` zeroed bytes owned by the heap, aligned to
    /// `alignment`.
    @inlinable static func format(_ base: UnsafeMutableRawPointer, byteCount: Int) -> RegionRef {
        base.bindMemory(to: RegionHeader.self, capacity: 1)
        let region = RegionRef(containing: UInt(bitPattern: base))
        region.header.byteCount = UInt64(byteCount)
        return region
    }

    @inlinable @inline(__always) var address: UInt { UInt(bitPattern: base) }

    /// Bytes mapped for this region.
    @inlinable @inline(__always) var byteCount: Int { Int(truncatingIfNeeded: header.byteCount) }
    /// Granules the region touches (a 16 or 32 KiB region still owns its granule).
    @inlinable var granuleCount: Int { (byteCount &+ SpanRef.alignment &- 1) &>> GranuleMap.granuleShift }
    /// The end sentinel (a 16-byte in-use header of size 0) sits here.
    @inlinable @inline(__always) var sentinelOffset: Int { byteCount &- 16 }

    @inlinable @inline(__always) var header: RegionHeader {
        unsafeAddress { UnsafePointer(base.assumingMemoryBound(to: RegionHeader.self)) }
        nonmutating unsafeMutableAddress { base.assumingMemoryBound(to: RegionHeader.self) }
    }

    /// Whether a block header starts at `offset` (a multiple of 16 below byteCount).
    @inlinable @inline(__always) func isBlockStart(_ offset: Int) -> Bool {
        let unit = offset &>> 4
        let byte = base.load(fromByteOffset: Self.bitmapOffset &+ unit &>> 3, as: UInt8.self)
        return byte & (1 &<< UInt8(unit & 7)) != 0
    }

    @inlinable @inline(__always) func setBlockStart(_ offset: Int, _ isStart: Bool) {
        let unit = offset &>> 4
        let at = Self.bitmapOffset &+ unit &>> 3
        let byte = base.load(fromByteOffset: at, as: UInt8.self)
        let bit: UInt8 = 1 &<< UInt8(unit & 7)
        base.storeBytes(of: isStart ? byte | bit : byte & ~bit, toByteOffset: at, as: UInt8.self)
    }
}

/// Header at the base of a large block's own mapping.
@usableFromInline struct LargeHeader {
    @usableFromInline var canary: UInt64
    /// The whole mapping's length (a multiple of the page size).
    @usableFromInline var mappedBytes: UInt64
    /// Offset of the user pointer from the mapping base (>= 64, a multiple of 16).
    @usableFromInline var userOffset: UInt64
    /// Bytes the user may use: mappedBytes - userOffset (kept for quick usable-size answers).
    @usableFromInline var usableBytes: UInt64
    /// Links of the heap's list of large blocks, or of the large cache.
    @usableFromInline var listLinks: IntrusiveListLinks
}

@usableFromInline struct LargeRef: Equatable {
    @inlinable static var headerBytes: Int { 64 }

    @usableFromInline let base: UnsafeMutableRawPointer

    /// Contract: `address` is the base of a large mapping (from the granule map or the large list).
    @inlinable @inline(__always) init(base address: UInt) {
        base = UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
    }

    /// Contract: `base` starts a zeroed mapping owned by the heap.
    @inlinable static func format(_ base: UnsafeMutableRawPointer) -> LargeRef {
        base.bindMemory(to: LargeHeader.self, capacity: 1)
        return LargeRef(base: UInt(bitPattern: base))
    }

    @inlinable @inline(__always) var address: UInt { UInt(bitPattern: base) }

    @inlinable @inline(__always) var header: LargeHeader {
        unsafeAddress { UnsafePointer(base.assumingMemoryBound(to: LargeHeader.self)) }
        nonmutating unsafeMutableAddress { base.assumingMemoryBound(to: LargeHeader.self) }
    }
}

extension SpanRef: IntrusiveListNode {
    @inlinable @inline(__always) init(nodeAddress: UInt) { self.init(base: userPointer(nodeAddress)) }
    @inlinable @inline(__always) var nodeAddress: UInt { address }
    /// SpanHeader.listLinks: after canary and freeHead.
    @inlinable static var linkOffset: Int { 16 }
}

extension RegionRef: IntrusiveListNode {
    @inlinable @inline(__always) init(nodeAddress: UInt) { self.init(containing: nodeAddress) }
    @inlinable @inline(__always) var nodeAddress: UInt { address }
    /// RegionHeader.listLinks: after canary, byteCount and usedBytes.
    @inlinable static var linkOffset: Int { 24 }
}

extension LargeRef: IntrusiveListNode {
    @inlinable @inline(__always) init(nodeAddress: UInt) { self.init(base: nodeAddress) }
    @inlinable @inline(__always) var nodeAddress: UInt { address }
    /// LargeHeader.listLinks: after canary, mappedBytes, userOffset and usableBytes.
    @inlinable static var linkOffset: Int { 32 }
}

/// The granule map's bytes (GranuleMap.swift): one byte per 64 KiB granule of its window.
@usableFromInline struct GranuleTable {
    @usableFromInline let base: UInt

    /// Contract: `base` starts a mapping owned by the heap that holds every index used.
    @inlinable @inline(__always) init(base: UInt) { self.base = base }

    @inlinable @inline(__always) func byte(_ index: Int) -> UInt8 {
        UnsafeRawPointer(bitPattern: base).unsafelyUnwrapped.load(fromByteOffset: index, as: UInt8.self)
    }

    @inlinable @inline(__always) func set(_ index: Int, _ value: UInt8) {
        UnsafeMutableRawPointer(bitPattern: base).unsafelyUnwrapped.storeBytes(of: value, toByteOffset: index, as: UInt8.self)
    }

    /// Copies `count` bytes of `source` to this table from byte `offset` on.
    @inlinable func copy(from source: GranuleTable, count: Int, at offset: Int) {
        UnsafeMutableRawPointer(bitPattern: base &+ UInt(offset)).unsafelyUnwrapped
            .copyMemory(from: UnsafeRawPointer(bitPattern: source.base).unsafelyUnwrapped, byteCount: count)
    }
}

/// Block payload operations for memcpy/memset-style work on user memory.
@usableFromInline enum BlockBytes {
    /// Contract: both ranges lie inside live blocks the heap handed out; they do not overlap.
    @inlinable @inline(__always) static func copy(from source: UInt, to destination: UInt, byteCount: Int) {
        UnsafeMutableRawPointer(bitPattern: destination).unsafelyUnwrapped
            .copyMemory(from: UnsafeRawPointer(bitPattern: source).unsafelyUnwrapped, byteCount: byteCount)
    }

    /// Contract: [address, address + byteCount) lies inside a live block.
    @inlinable @inline(__always) static func zero(at address: UInt, byteCount: Int) {
        UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
            .initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }
}

extension UInt {
    /// The address of a pointer the heap hands out or receives.
    @inlinable @inline(__always) init(_ pointer: UnsafeMutableRawPointer) { self.init(bitPattern: pointer) }
}

/// The pointer handed to the user for a block address. Contract: address != 0.
@inlinable @inline(__always) func userPointer(_ address: UInt) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
}

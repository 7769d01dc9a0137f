// The granule map: which 64 KiB granules of the address space belong to this heap, and what owns
// each one. It is what lets free() validate any pointer in O(1) without touching the memory the
// pointer names (a wild pointer may be unmapped; reading a "header" there would fault), and then
// reach the owner's header by masking the pointer (mimalloc's segment mask, Scudo's header).
//
// Every mapping the heap makes is 64 KiB-aligned, so a granule (address >> 16) has at most one
// owner (a 4-32 KiB span still owns its whole granule: nothing else of the heap can start there).
// The map is one byte per granule over a window [firstGranule, firstGranule + capacity) of the
// address space, so a lookup is a subtraction, one unsigned compare (outside the window: not the
// heap's) and one byte load. A 64-byte cache line of the map covers 4 MiB of heap, so the map of
// a 100 MiB heap is 1.6 KiB and stays in L1 (the hash table it replaced spread 16-byte entries
// over 32 KiB for 1 000 spans and cost a multiply). Entry bytes:
//   0                 not the heap's
//   small   (1)       the span's granule; span base = address & ~(64 KiB - 1)
//   medium  (2)       each granule a region touches (1 ... 4); base = address & ~(256 KiB - 1)
//   large   (3 | e<<2) the granule of a large block's user pointer only; the mapping base (its
//                     header) = granule base - (e == 0 ? 0 : 2^(e + 15)): e > 0 exactly when the
//                     block is aligned to 2^(e + 15) >= 64 KiB and its user pointer sits that far in
// The window grows (a larger map is mapped, the old bytes copied, the old map unmapped) when a
// mapping lands outside it; it is a whole number of pages (4 096 granules = 256 MiB of address
// space per page), aligned to that, and never spans more than `maximumCapacity` granules (the
// heap refuses the mapping beyond that: out of memory, nothing changed).
//
// Invariants: count == number of non-zero bytes; every non-zero byte decodes to an owner whose
// header is where the decoding says (checked through the heap's checker).

/// What owns a granule, in the low two bits of a map entry and of an owner value (`base | kind`).
@usableFromInline enum OwnerKind: UInt64 {
    case small = 1
    case medium = 2
    case large = 3
}

@usableFromInline struct GranuleMap {
    @inlinable static var granuleShift: Int { 16 }
    /// Granules per page of map: the window's unit of growth and alignment.
    @inlinable static var granulesPerPage: Int { userPageSize }
    /// 2^26 granules: a window over 4 TiB of address space, a 64 MiB map. A heap whose mappings
    /// spread further apart is refused the mapping that would need more.
    @inlinable static var maximumCapacity: Int { 1 << 26 }

    /// Base of the map's bytes, 0 before the first registration.
    @usableFromInline var table: UInt = 0
    /// The granule number (address >> 16) of byte 0.
    @usableFromInline var firstGranule: UInt = 0
    /// Bytes in the map (granules in the window): a multiple of granulesPerPage, 0 without a map.
    @usableFromInline var capacity = 0
    /// Registered granules.
    @usableFromInline var count = 0

    @inlinable init() {}

    /// The map byte of the granule holding `address`, 0 when it is not the heap's.
    @inlinable @inline(__always) func entry(_ address: UInt) -> UInt8 {
        let index = (address &>> UInt(Self.granuleShift)) &- firstGranule
        guard index < UInt(bitPattern: capacity) else { return 0 }
        return GranuleTable(base: table).byte(Int(bitPattern: index))
    }

    /// The owner of the granule holding `address` as `base | kind` (the span, region or large
    /// mapping base and an OwnerKind raw value), or 0 when it is not the heap's.
    @inlinable @inline(__always) func lookup(_ address: UInt) -> UInt64 {
        Self.owner(of: address, entry: entry(address))
    }

    /// Decodes a map byte for an address in its granule.
    @inlinable @inline(__always) static func owner(of address: UInt, entry: UInt8) -> UInt64 {
        let kind = UInt64(entry & 3)
        switch kind {
        case OwnerKind.small.rawValue: return UInt64(address & ~UInt(SpanRef.alignment &- 1)) | kind
        case OwnerKind.medium.rawValue: return UInt64(address & ~UInt(RegionRef.alignment &- 1)) | kind
        case OwnerKind.large.rawValue: return UInt64(largeBase(of: address, entry: entry)) | kind
        default: return 0
        }
    }

    /// The base (header) of the large mapping whose user pointer's granule holds `address`, from
    /// that granule's map byte `entry` (kind large: see the file comment).
    @inlinable @inline(__always) static func largeBase(of address: UInt, entry: UInt8) -> UInt {
        let exponent = UInt(entry &>> 2)
        let back: UInt = exponent == 0 ? 0 : 1 &<< (exponent &+ 15)
        return (address & ~UInt(SpanRef.alignment &- 1)) &- back
    }

    /// The map byte that makes `lookup` answer `value` (= base | kind) for the granule of
    /// `address`. Precondition: value names the owner of that granule as the file comment says.
    @inlinable static func entry(for value: UInt64, at address: UInt) -> UInt8 {
        let kind = UInt8(truncatingIfNeeded: value & 3)
        guard kind == UInt8(OwnerKind.large.rawValue) else { return kind }
        let back = (address & ~UInt(SpanRef.alignment &- 1)) &- UInt(truncatingIfNeeded: value & ~3)
        guard back != 0 else { return kind }
        return kind | UInt8(truncatingIfNeeded: (back.trailingZeroBitCount &- 15) &<< 2)
    }

    /// Whether the window holds the granules of [address, address + byteCount).
    @inlinable func covers(_ address: UInt, byteCount: Int) -> Bool {
        let first = address &>> UInt(Self.granuleShift)
        let last = (address &+ UInt(byteCount) &- 1) &>> UInt(Self.granuleShift)
        return capacity > 0 && first >= firstGranule && last &- firstGranule < UInt(capacity)
    }

    /// The window (first granule, capacity) a grown map must have to cover the current window and
    /// [address, address + byteCount), or nil when that exceeds maximumCapacity.
    @inlinable func window(covering address: UInt, byteCount: Int) -> (first: UInt, capacity: Int)? {
        let unit = UInt(Self.granulesPerPage)
        var low = address &>> UInt(Self.granuleShift)
        var high = ((address &+ UInt(byteCount) &- 1) &>> UInt(Self.granuleShift)) &+ 1
        if capacity > 0 {
            low = min(low, firstGranule)
            high = max(high, firstGranule &+ UInt(capacity))
        }
        low &= ~(unit &- 1)
        high = (high &+ unit &- 1) & ~(unit &- 1)
        guard high &- low <= UInt(Self.maximumCapacity) else { return nil }
        return (low, Int(high &- low))
    }

    /// Registers the granule of `address`. Precondition: covered, and not registered.
    @inlinable mutating func insert(address: UInt, value: UInt64) {
        let index = Int(bitPattern: (address &>> UInt(Self.granuleShift)) &- firstGranule)
        GranuleTable(base: table).set(index, Self.entry(for: value, at: address))
        count += 1
    }

    /// Unregisters the granule of `address`. Precondition: registered.
    @inlinable mutating func remove(address: UInt) {
        let index = Int(bitPattern: (address &>> UInt(Self.granuleShift)) &- firstGranule)
        GranuleTable(base: table).set(index, 0)
        count -= 1
    }

    /// Copies every entry into `newTable` (zeroed, `newCapacity` bytes, window starting at
    /// `newFirst`, which covers the current window) and switches to it.
    @inlinable mutating func move(into newTable: UInt, first newFirst: UInt, capacity newCapacity: Int) {
        if capacity > 0 {
            GranuleTable(base: newTable).copy(
                from: GranuleTable(base: table), count: capacity, at: Int(bitPattern: firstGranule &- newFirst))
        }
        table = newTable
        firstGranule = newFirst
        capacity = newCapacity
    }

    /// Visits every (granule base address, owner value) pair.
    @inlinable func forEachEntry(_ body: (UInt, UInt64) -> Void) {
        let map = GranuleTable(base: table)
        for index in 0 ..< capacity {
            let byte = map.byte(index)
            guard byte != 0 else { continue }
            let granule = (firstGranule &+ UInt(index)) &<< UInt(Self.granuleShift)
            body(granule, Self.owner(of: granule, entry: byte))
        }
    }

    /// Non-zero bytes in the map (for checkInvariants: must equal `count`).
    @inlinable func countEntries() -> Int {
        var found = 0
        forEachEntry { _, _ in found += 1 }
        return found
    }
}

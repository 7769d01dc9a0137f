// The span directory: which 64 KiB granules of the address space belong to this heap, and what
// owns each one. It is what lets free() validate any pointer in O(1) without touching the memory
// the pointer names (a wild pointer may be unmapped; reading a "header" there would fault).
//
// Every mapping the heap makes is 64 KiB-aligned, so a granule (address >> 16) has at most one
// owner (a 4-32 KiB span still owns its whole granule: nothing else of the heap can start there):
//   small span    -> the one granule it starts, value = span base | 1
//   medium region -> each granule it touches (1 ... 4), value = region base | 2
//   large block   -> the granule of its user pointer only, value = mapping base | 3
// Open addressing with linear probing and Fibonacci hashing, key = granule + 1 (0 marks an empty
// slot), load factor <= 1/2, deletion by backward shift (no tombstones), so a lookup is one
// multiply and usually one cache line. The table itself is mapped from the page source and grown
// by the heap (UserHeap+Mapping.swift); this file only reads and rearranges entries. (A one-entry
// "last granule" cache in front of the table was tried: +8 % on malloc/free pairs, but -5..10 %
// on espresso and larson, where consecutive frees hit different spans; removed.)
//
// Invariants: count == number of non-empty slots; 2 * count <= capacity; every key is reachable
// from its home slot without crossing an empty slot.

/// What owns a granule, stored in the low two bits of a directory value.
@usableFromInline enum OwnerKind: UInt64 {
    case small = 1
    case medium = 2
    case large = 3
}

@usableFromInline struct SpanDirectory {
    @inlinable static var granuleShift: Int { 16 }
    @inlinable static var minimumCapacity: Int { 256 }
    @inlinable static var entryBytes: Int { 16 }

    @usableFromInline var table: DirectoryTable?
    /// Slots in the table (a power of two, or 0 before the first registration).
    @usableFromInline var capacity = 0
    /// Registered granules.
    @usableFromInline var count = 0
    /// 64 - log2(capacity): the hash keeps the top bits of key * golden ratio.
    @usableFromInline var hashShift: UInt64 = 64

    @inlinable init() {}

    @inlinable @inline(__always) static func key(of address: UInt) -> UInt64 {
        UInt64(truncatingIfNeeded: address &>> granuleShift) &+ 1
    }

    @inlinable @inline(__always) func homeSlot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) &>> hashShift)
    }

    /// The value registered for the granule holding `address`, or 0 when it is not the heap's.
    @inlinable @inline(__always) func lookup(_ address: UInt) -> UInt64 {
        guard let table else { return 0 }
        let key = Self.key(of: address)
        let mask = capacity &- 1
        var slot = homeSlot(of: key)
        while true {
            let found = table.key(slot)
            if found == key { return table.value(slot) }
            if found == 0 { return 0 }
            slot = (slot &+ 1) & mask
        }
    }

    /// Whether `extra` more registrations keep the load factor at or below 1/2.
    @inlinable func hasRoom(for extra: Int) -> Bool { (count + extra) * 2 <= capacity }

    /// Adds a granule. Precondition: hasRoom(for: 1) and the granule is not registered.
    @inlinable mutating func insert(address: UInt, value: UInt64) {
        guard let table else { return }
        let key = Self.key(of: address)
        let mask = capacity &- 1
        var slot = homeSlot(of: key)
        while table.key(slot) != 0 { slot = (slot &+ 1) & mask }
        table.set(slot, key: key, value: value)
        count += 1
    }

    /// Removes a registered granule, shifting later entries of its probe run back.
    @inlinable mutating func remove(address: UInt) {
        guard let table else { return }
        let key = Self.key(of: address)
        let mask = capacity &- 1
        var hole = homeSlot(of: key)
        while table.key(hole) != key {
            if table.key(hole) == 0 { return }
            hole = (hole &+ 1) & mask
        }
        var probe = hole
        while true {
            probe = (probe &+ 1) & mask
            let movedKey = table.key(probe)
            if movedKey == 0 { break }
            let home = homeSlot(of: movedKey)
            // The entry may move into the hole only if its home is not cyclically in (hole, probe].
            let homeInRun = hole <= probe ? (hole < home && home <= probe) : (hole < home || home <= probe)
            if homeInRun { continue }
            table.set(hole, key: movedKey, value: table.value(probe))
            hole = probe
        }
        table.set(hole, key: 0, value: 0)
        count -= 1
    }

    /// Copies every entry into `newTable` (zeroed, `newCapacity` slots) and switches to it.
    @inlinable mutating func rehash(into newTable: DirectoryTable, capacity newCapacity: Int) {
        let oldTable = table
        let oldCapacity = capacity
        table = newTable
        capacity = newCapacity
        hashShift = UInt64(64 - floorLog2Int(newCapacity))
        count = 0
        guard let oldTable else { return }
        for slot in 0 ..< oldCapacity where oldTable.key(slot) != 0 {
            let key = oldTable.key(slot)
            var target = homeSlot(of: key)
            while newTable.key(target) != 0 { target = (target &+ 1) & (newCapacity &- 1) }
            newTable.set(target, key: key, value: oldTable.value(slot))
            count += 1
        }
    }

    /// Visits every (granule base address, value) pair.
    @inlinable func forEachEntry(_ body: (UInt, UInt64) -> Void) {
        guard let table else { return }
        for slot in 0 ..< capacity where table.key(slot) != 0 {
            body(UInt(truncatingIfNeeded: table.key(slot) &- 1) &<< Self.granuleShift, table.value(slot))
        }
    }

    /// The first entry that is not reachable from its home slot, if any (for checkInvariants).
    @inlinable func firstUnreachableGranule() -> UInt? {
        guard let table else { return nil }
        for slot in 0 ..< capacity where table.key(slot) != 0 {
            let key = table.key(slot)
            if lookupSlot(key) != slot { return UInt(truncatingIfNeeded: key &- 1) &<< Self.granuleShift }
        }
        return nil
    }

    @inlinable func lookupSlot(_ key: UInt64) -> Int? {
        guard let table else { return nil }
        var slot = homeSlot(of: key)
        while table.key(slot) != 0 {
            if table.key(slot) == key { return slot }
            slot = (slot &+ 1) & (capacity &- 1)
        }
        return nil
    }
}

@inlinable @inline(__always) func floorLog2Int(_ value: Int) -> Int { 63 - value.leadingZeroBitCount }

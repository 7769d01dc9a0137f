// GranuleReservation: a page source's reserved stretch of address space, handed out lowest address
// first in 64 KiB granules, so that the heap's mappings stay close together.
//
// Why: the granule map (GranuleMap.swift) spans the heap's mappings from the lowest to the highest,
// one 4 KiB page per 256 MiB of address space, and the heap holds that map. Mappings placed
// wherever the host kernel finds room (Linux places top-down; in one process other allocators
// reserve GiBs between them) spread the window over GiBs: measured 32 KiB of map for glibc-simple's
// 100 KB live, 4.6 MB for trace-perl. A page source that first reserves one aligned stretch
// (PROT_NONE, nothing charged) and places every mapping in it lowest address first keeps the
// spread near what the heap holds: one map page for a heap below 128 MiB, and nothing added to
// free()'s path.
//
// This type is the bookkeeping only (no syscall): one bit per granule, set while a mapping covers
// any byte of it. A mapping always starts on a granule boundary and owns the granules
// [start, start + ceil(byteCount / 64 KiB)); the tail of its last granule stays reserved and unused.
//
// Invariants: `usedGranules` equals the number of set bits; a set bit's granule holds part of a
// live mapping; a free granule is reserved by the source (mapped PROT_NONE) unless abandoned.

/// The granules of a reserved address range, placed first fit from the bottom.
public struct GranuleReservation {
    /// Bits in the bitmap: 16 384 granules of 64 KiB = 1 GiB of address space (a 2 KiB bitmap).
    public static var granuleCount: Int { 64 * 256 }
    public static var granuleBytes: Int { 1 << GranuleMap.granuleShift }
    /// The reserved range's size, and the span of one granule-map page (an aligned 256 MiB),
    /// which the source aligns the range against.
    public static var byteCount: Int { granuleCount * granuleBytes }
    public static var alignment: Int { GranuleMap.granulesPerPage * granuleBytes }

    /// Start of the reserved range; 0 while there is none.
    public private(set) var base: UInt = 0
    /// Granules covered by a mapping now.
    public private(set) var usedGranules = 0
    /// Set by `abandon`.
    public private(set) var isAbandoned = false
    /// The bitmap: `wordCount` words, the caller's memory (adopt). Kept out of this value on
    /// purpose: the page source lives inside the heap's value, and a 2 KiB bitmap there moved the
    /// heap's fields (measured: the fast-path pairs 0.3-0.5 ns slower).
    private var bitmap: UnsafeMutablePointer<UInt64>?
    private var bits: UnsafeMutablePointer<UInt64> { bitmap.unsafelyUnwrapped }
    /// Words in the bitmap (2 KiB).
    public static var wordCount: Int { granuleCount / 64 }
    /// Every granule below this one is used (where place starts looking).
    private var lowestFree = 0

    public init() {}

    /// Takes over [address, address + byteCount) (the source has just reserved it), all granules
    /// free, with `bitmap` (wordCount writable words, kept by the caller while this lives) as the
    /// bitmap. The Linux source places the bitmap's own page first, at the range's base.
    public mutating func adopt(base address: UInt, bitmap words: UnsafeMutablePointer<UInt64>) {
        base = address
        bitmap = words
        usedGranules = 0
        lowestFree = 0
        isAbandoned = false
        words.initialize(repeating: 0, count: Self.wordCount)
    }

    /// Whether `address` lies in the reserved range.
    public func contains(_ address: UInt) -> Bool {
        base != 0 && address &- base < UInt(Self.byteCount)
    }

    /// Granules a mapping of `byteCount` bytes owns.
    @inlinable public static func granules(for byteCount: Int) -> Int {
        (byteCount + granuleBytes - 1) / granuleBytes
    }

    /// The lowest free run of granules for `byteCount` bytes at a multiple of `alignment`, marked
    /// used; nil when the range has none (or there is no range).
    public mutating func place(byteCount: Int, alignment: Int) -> UInt? {
        guard base != 0, !isAbandoned, byteCount > 0 else { return nil }
        let count = Self.granules(for: byteCount)
        let step = max(1, alignment / Self.granuleBytes)
        // The first granule index whose address is a multiple of `alignment`.
        let misalignment = Int(base % UInt(max(alignment, Self.granuleBytes))) / Self.granuleBytes
        let offset = (step - misalignment) % step
        lowestFree = firstFree(from: lowestFree)
        var start = Self.roundUp(lowestFree, step: step, offset: offset)
        while start + count <= Self.granuleCount {
            if let busy = lastUsed(in: start, count: count) {
                start = Self.roundUp(busy + 1, step: step, offset: offset)
                continue
            }
            set(start, count: count, to: true)
            return base + UInt(start * Self.granuleBytes)
        }
        return nil
    }

    /// Marks the granules of a mapping [address, address + byteCount) free.
    /// Precondition: it was placed here (or grown in place) with that size.
    public mutating func release(_ address: UInt, byteCount: Int) {
        set(index(of: address), count: Self.granules(for: byteCount), to: false)
        lowestFree = min(lowestFree, index(of: address))
    }

    /// The source lost part of the range (it could not map it PROT_NONE again after a mapping
    /// left it, so someone else may map there): nothing is placed or grown in it any more. The
    /// mappings already in it are released and shrunk as usual.
    public mutating func abandon() { isAbandoned = true }

    /// Whether the mapping at `address` of `oldByteCount` can become `newByteCount` bytes in
    /// place (the granules it would add are free).
    public func canResize(_ address: UInt, oldByteCount: Int, newByteCount: Int) -> Bool {
        let first = index(of: address)
        let old = Self.granules(for: oldByteCount)
        let new = Self.granules(for: newByteCount)
        guard new > old else { return true }
        return !isAbandoned && first + new <= Self.granuleCount && lastUsed(in: first + old, count: new - old) == nil
    }

    /// Resizes the mapping at `address` in place. Precondition: canResize said yes.
    public mutating func resize(_ address: UInt, oldByteCount: Int, newByteCount: Int) {
        let first = index(of: address)
        let old = Self.granules(for: oldByteCount)
        let new = Self.granules(for: newByteCount)
        if new > old { set(first + old, count: new - old, to: true) }
        if new < old {
            set(first + new, count: old - new, to: false)
            lowestFree = min(lowestFree, first + new)
        }
    }

    /// Whether granule `index` is used (tests and checkers).
    public func isUsed(granule index: Int) -> Bool {
        bits[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// What checkInvariants found wrong.
    public enum Violation: Equatable {
        /// The set bits (`counted`) disagree with `usedGranules` (`recorded`).
        case countMismatch(counted: Int, recorded: Int)
        /// Granule `granule` is free although it lies below `lowestFree`, where place starts looking.
        case freeBelowLowestFree(granule: Int)
    }

    /// nil when the bitmap agrees with `usedGranules` and every granule below `lowestFree` is used.
    public func checkInvariants() -> Violation? {
        guard base != 0 else { return usedGranules == 0 ? nil : .countMismatch(counted: 0, recorded: usedGranules) }
        var counted = 0
        for word in 0 ..< Self.wordCount { counted += bits[word].nonzeroBitCount }
        let firstFreeGranule = firstFree(from: 0)
        if firstFreeGranule < lowestFree { return .freeBelowLowestFree(granule: firstFreeGranule) }
        return counted == usedGranules ? nil : .countMismatch(counted: counted, recorded: usedGranules)
    }

    private func index(of address: UInt) -> Int {
        Int((address &- base) >> UInt(GranuleMap.granuleShift))
    }

    /// The smallest index >= `value` that is `offset` modulo `step`.
    private static func roundUp(_ value: Int, step: Int, offset: Int) -> Int {
        let remainder = ((value - offset) % step + step) % step
        return remainder == 0 ? value : value + step - remainder
    }

    /// The highest used granule in [first, first + count), nil when all are free (a word at a time).
    private func lastUsed(in first: Int, count: Int) -> Int? {
        var end = first + count
        while end > first {
            let word = (end - 1) >> 6
            let low = max(first, word << 6)
            let width = UInt64(end - low)
            let mask: UInt64 = (width == 64 ? ~0 : (1 << width) - 1) << UInt64(low & 63)
            let hits = bits[word] & mask
            if hits != 0 { return (word << 6) + 63 - hits.leadingZeroBitCount }
            end = low
        }
        return nil
    }

    /// The lowest free granule at or after `index` (granuleCount when there is none).
    private func firstFree(from index: Int) -> Int {
        guard index < Self.granuleCount else { return Self.granuleCount }
        var word = index >> 6
        var taken = bits[word] | ((1 << UInt64(index & 63)) - 1)  // the granules below count as used
        while taken == ~0 {
            word += 1
            if word == Self.wordCount { return Self.granuleCount }
            taken = bits[word]
        }
        return (word << 6) + (~taken).trailingZeroBitCount
    }

    private mutating func set(_ first: Int, count: Int, to used: Bool) {
        for index in first ..< first + count {
            let mask: UInt64 = 1 << UInt64(index & 63)
            let was = bits[index >> 6] & mask != 0
            guard was != used else { continue }
            bits[index >> 6] ^= mask
            usedGranules += used ? 1 : -1
        }
    }
}

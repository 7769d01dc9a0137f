// The four levels of an x86-64 walk and how a virtual address indexes each of them.
//
//   virtual address bits: 47-39 PML4 index | 38-30 PDPT index | 29-21 PD index | 20-12 PT index | 11-0 offset
//   index(level, v) = (v >> (12 + 9 * (level - 1))) & 511,   level: PT = 1, PD = 2, PDPT = 3, PML4 = 4
//
// One entry at level L covers coverage(L) = 2^(12 + 9 * (L - 1)) bytes: 4 KiB, 2 MiB, 1 GiB, 512 GiB.

import MemoryCore

/// One level of the 4-level hierarchy, numbered as Intel does (PT = 1 ... PML4 = 4).
public enum PageTableLevel: Int, Comparable, Sendable, CaseIterable {
    case pt = 1
    case pd = 2
    case pdpt = 3
    case pml4 = 4

    /// Entries per table at every level.
    public static let entryCount = 512

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Bit position of this level's index in a virtual address: 12, 21, 30, 39.
    @inlinable public var indexShift: UInt64 { 12 + 9 * UInt64(rawValue - 1) }

    /// Bytes one entry of this level covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB.
    @inlinable public var entryCoverage: UInt64 { 1 << indexShift }

    /// The entry index (0..<512) that `address` selects in a table of this level.
    @inlinable public func index(of address: VirtualAddress) -> Int {
        Int(truncatingIfNeeded: (address.raw >> indexShift) & 511)
    }

    /// The next level down (the level of the table an entry here points to); nil for PT.
    @inlinable public var child: PageTableLevel? { PageTableLevel(rawValue: rawValue - 1) }

    /// The next level up; nil for PML4.
    @inlinable public var parent: PageTableLevel? { PageTableLevel(rawValue: rawValue + 1) }
}

extension VirtualAddress {
    /// The canonical address whose PML4..PT indices are the given ones and whose offset is zero:
    /// bits 48-63 copy bit 47 (sign extension), so slot >= 256 lands in the higher half.
    @inlinable public static func canonical(pml4 a: Int, pdpt b: Int, pd c: Int, pt d: Int) -> VirtualAddress {
        let raw = UInt64(a & 511) << 39 | UInt64(b & 511) << 30 | UInt64(c & 511) << 21 | UInt64(d & 511) << 12
        return VirtualAddress(raw & (1 << 47) != 0 ? raw | 0xFFFF_0000_0000_0000 : raw)
    }
}

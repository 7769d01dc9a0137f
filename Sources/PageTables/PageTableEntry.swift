// Every bit of an x86-64 page-table entry, in one file (Intel SDM vol. 3A, 4.5, tables 4-15..4-20).
//
// An entry is one UInt64. Bit layout, for all four levels (PML4E, PDPTE, PDE, PTE):
//
//   bit  0      P    present (when 0, the CPU ignores every other bit)
//   bit  1      R/W  writable
//   bit  2      U/S  user-accessible (ring 3)
//   bit  3      PWT  write-through
//   bit  4      PCD  cache-disable
//   bit  5      A    accessed (set by the CPU)
//   bit  6      D    dirty (set by the CPU; leaves only)
//   bit  7      PS   page size: in a PDE a 2 MiB leaf, in a PDPTE a 1 GiB leaf, reserved in a
//                    PML4E; in a PTE the same bit is PAT
//   bit  8      G    global (leaves only)
//   bits 9-11        ignored by the CPU: software bits
//   bits 12-51       physical address of the next table or of the 4 KiB frame
//                    (a 2 MiB leaf: bit 12 is PAT and bits 13-20 are reserved, address in 21-51)
//   bits 52-62       ignored by the CPU (in a leaf, 59-62 are protection keys when CR4.PKE = 1)
//   bit  63     XD   no-execute (reserved, and faults, unless EFER.NXE = 1)
//
// Two software uses, both in bits the CPU ignores at the level where they are used:
//   bits 52-61 of an intermediate (non-leaf) entry: `childCount`, the number of present entries in
//              the table it points to, so "is this table empty now?" costs one read, not 512
//   bit  11 of a table's entry 0: `auditMark`, set only while `checkInvariants` runs
// Otherwise this module never uses PAT, protection keys or the software bits: they must be zero in
// every entry it owns (checked by `checkInvariants`). A count update is a read-modify-write of an
// intermediate entry in which the CPU may set A at the same moment; losing that A bit is harmless
// (nothing here reads A on intermediates), and the count bits themselves the CPU never writes.

import MemoryCore

/// The attribute bits of a page-table entry that callers choose. Raw values are the bit positions
/// in the entry, so `PageTableEntry` and `PageFlags` convert by masking, never by shifting.
public struct PageFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let present = PageFlags(rawValue: 1 << 0)
    public static let writable = PageFlags(rawValue: 1 << 1)
    public static let user = PageFlags(rawValue: 1 << 2)
    public static let writeThrough = PageFlags(rawValue: 1 << 3)
    public static let cacheDisable = PageFlags(rawValue: 1 << 4)
    public static let accessed = PageFlags(rawValue: 1 << 5)
    public static let dirty = PageFlags(rawValue: 1 << 6)
    public static let global = PageFlags(rawValue: 1 << 8)
    public static let noExecute = PageFlags(rawValue: 1 << 63)

    /// Every flag this module defines; any other bit in a caller's flags is an `invalidFlags` error.
    public static let defined: PageFlags = [
        .present, .writable, .user, .writeThrough, .cacheDisable, .accessed, .dirty, .global, .noExecute,
    ]
    /// Bits the CPU sets by itself; `protect` keeps them as they are.
    public static let hardwareManaged: PageFlags = [.accessed, .dirty]
}

/// One 64-bit page-table entry with typed accessors.
public struct PageTableEntry: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Bits 12-51: the physical address of a 4 KiB-aligned table or frame.
    public static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    /// Bit 7 (PS): this PDE (PDPTE) maps a 2 MiB (1 GiB) page instead of pointing to a table.
    public static let hugePageBit: UInt64 = 1 << 7
    /// Bit 7 in a PTE, bit 12 in a 2 MiB PDE: the PAT selector (unused here, kept zero).
    public static let patBit4KiB: UInt64 = 1 << 7
    public static let patBit2MiB: UInt64 = 1 << 12
    /// Bits 13-20 of a 2 MiB leaf: reserved, must be zero (the frame is 2 MiB aligned).
    public static let reservedBits2MiB: UInt64 = 0x0000_0000_001F_E000
    /// Bits 9-11 and 52-62: ignored by the CPU; this module keeps them zero.
    public static let softwareBits: UInt64 = 0x7FF0_0000_0000_0E00
    /// Bit 11 of a table's entry 0 marks the table as visited while `checkInvariants` runs, so a
    /// table referenced twice is caught without allocating a visited set. Cleared before return.
    /// (Bit 11 is ignored in every entry at every level, present or not, leaf or not.)
    public static let auditMark: UInt64 = 1 << 11
    /// Bits 52-61 of an intermediate entry: how many entries of the child table are present
    /// (0...512). Ignored by the CPU in non-leaf entries whatever CR4.PKE says; never used in leaves.
    public static let childCountShift: UInt64 = 52
    public static let childCountMask: UInt64 = 0x3FF << 52
    /// The first frame number that does not fit in bits 12-51 (physical addresses < 2^52).
    public static let frameLimit: UInt64 = 1 << 40

    /// The not-present entry.
    public static let empty = PageTableEntry(rawValue: 0)

    @inlinable public var isPresent: Bool { rawValue & PageFlags.present.rawValue != 0 }
    /// PS bit: meaningful in a PDE or PDPTE only.
    @inlinable public var isHugePage: Bool { rawValue & Self.hugePageBit != 0 }
    /// The frame in bits 12-51 (for a 2 MiB leaf, its first frame).
    @inlinable public var frame: FrameNumber {
        FrameNumber((rawValue & Self.addressMask) >> frameShift)
    }
    /// The attribute bits this module defines (including `.present`).
    @inlinable public var flags: PageFlags { PageFlags(rawValue: rawValue & PageFlags.defined.rawValue) }

    /// The present-entry count of the child table (meaningful in an intermediate entry only).
    @inlinable public var childCount: Int {
        Int(truncatingIfNeeded: (rawValue & Self.childCountMask) >> Self.childCountShift)
    }

    /// The same intermediate entry with its child count set to `count` (0...512).
    @inlinable public func withChildCount(_ count: Int) -> PageTableEntry {
        assert(count >= 0 && count <= PageTableLevel.entryCount, "child count out of range")
        return PageTableEntry(
            rawValue: (rawValue & ~Self.childCountMask) | UInt64(truncatingIfNeeded: count) << Self.childCountShift)
    }

    /// An entry that points to the next-level table in `frame` (child count 0).
    /// Precondition: frame < frameLimit; flags within `PageFlags.defined`.
    @inlinable public static func table(_ frame: FrameNumber, flags: PageFlags) -> PageTableEntry {
        PageTableEntry(rawValue: frame.startAddress.raw | flags.rawValue | PageFlags.present.rawValue)
    }

    /// A leaf that maps a page of `size` to the frames starting at `frame`.
    /// Precondition: frame < frameLimit, aligned to size.frameCount; flags within `PageFlags.defined`.
    @inlinable public static func leaf(_ frame: FrameNumber, size: PageSize, flags: PageFlags) -> PageTableEntry {
        let sizeBit = size == .size2MiB ? hugePageBit : 0
        return PageTableEntry(rawValue: frame.startAddress.raw | flags.rawValue | PageFlags.present.rawValue | sizeBit)
    }

    /// The same entry with its defined flags replaced by `flags` (address and PS bit kept).
    @inlinable public func replacingFlags(with flags: PageFlags) -> PageTableEntry {
        PageTableEntry(rawValue: (rawValue & ~PageFlags.defined.rawValue) | flags.rawValue)
    }
}

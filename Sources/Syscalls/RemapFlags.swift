// remap's fourth argument (r10): what the call may do, how new pages are backed, and where a moved
// run must start.
//
//   bit 0        mayMove: the run may move to another address (Linux MREMAP_MAYMOVE); without
//                it, growth happens in place or not at all (ENOMEM)
//   bit 1        populate: the pages the call adds are backed at once, as map's populate option
//                (without it they are reserved and charged, and backed on first touch)
//   bit 2        fixed: the run moves to the destination given in r8 (Linux MREMAP_FIXED with
//                new_address), and nowhere else; requires mayMove (else EINVAL
//                `fixed-without-may-move`). Unlike Linux, a destination holding anything is
//                refused (EEXIST), never unmapped: map's exact hint rule
//   bits 8..13   log2 of the alignment of the address a moved run gets: map's alignment field,
//                decoded by MapOptions (one rule: 0 = a page, 12...30 valid, else EINVAL
//                `bad-alignment`), so UserMalloc's 64 KiB-aligned blocks stay so; a fixed
//                destination must be on it
//   other bits   EINVAL, reason `unknown-remap-flags` (checked first)

import PageTables

/// remap's decoded flags.
public struct RemapFlags: Hashable, Sendable {
    public var mayMove: Bool
    public var populate: Bool
    /// The run goes to the call's destination argument (r8) exactly; implies mayMove.
    public var fixed: Bool
    /// The alignment of a moved run's new address, in bytes (a power of two, 4 KiB ... 1 GiB).
    public var alignment: UInt64

    public static let mayMoveBit: UInt64 = 1 << 0
    public static let populateBit: UInt64 = 1 << 1
    public static let fixedBit: UInt64 = 1 << 2
    /// The same field, at the same place, as map's alignment option.
    public static let alignmentField: UInt64 = MapOptions.alignmentField

    @inlinable public init(
        mayMove: Bool, populate: Bool = false, fixed: Bool = false, alignment: UInt64 = UserSpace.pageBytes
    ) {
        self.mayMove = mayMove
        self.populate = populate
        self.fixed = fixed
        self.alignment = alignment
    }

    /// The alignment in pages.
    public var alignmentPages: UInt64 { max(alignment / UserSpace.pageBytes, 1) }

    /// The register value for these flags (alignment must be a power of two in 4 KiB ... 1 GiB).
    public var rawValue: UInt64 {
        let shift = alignment <= UserSpace.pageBytes ? 12 : UInt64(alignment.trailingZeroBitCount)
        return (mayMove ? Self.mayMoveBit : 0) | (populate ? Self.populateBit : 0) | (fixed ? Self.fixedBit : 0)
            | MapOptions(alignmentShift: shift).rawValue
    }

    /// Decodes the register; refusals name their reason (all EINVAL): unknown bits first, then
    /// fixed without mayMove, then the alignment field by map's own rule.
    public static func decode(_ raw: UInt64) throws(RejectionReason) -> RemapFlags {
        guard raw & ~(mayMoveBit | populateBit | fixedBit | alignmentField) == 0 else { throw .unknownRemapFlags }
        guard raw & fixedBit == 0 || raw & mayMoveBit != 0 else { throw .fixedWithoutMayMove }
        let alignment = try MapOptions.decode(raw & alignmentField)
        return RemapFlags(
            mayMove: raw & mayMoveBit != 0, populate: raw & populateBit != 0, fixed: raw & fixedBit != 0,
            alignment: alignment.alignmentPages * UserSpace.pageBytes)
    }
}

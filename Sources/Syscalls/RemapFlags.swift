// remap's fourth argument (r10): what the call may do and where a moved run must start.
//
//   bit 0        mayMove: the run may move to another address (Linux MREMAP_MAYMOVE); without
//                it, growth happens in place or not at all (ENOMEM)
//   bits 8..13   log2 of the alignment of the address a moved run gets (0: a page; 12...30 valid),
//                the same field as map's options, so UserMalloc's 64 KiB-aligned blocks stay so
//   other bits   EINVAL, reason `unknown-remap-flags`

import PageTables

/// remap's decoded flags.
public struct RemapFlags: Hashable, Sendable {
    public var mayMove: Bool
    /// The alignment of a moved run's new address, in bytes (a power of two, >= a page).
    public var alignment: UInt64

    public static let mayMoveBit: UInt64 = 1
    public static let alignmentShift: UInt64 = 8
    public static let alignmentField: UInt64 = 0x3F << alignmentShift

    @inlinable public init(mayMove: Bool, alignment: UInt64 = UserSpace.pageBytes) {
        self.mayMove = mayMove
        self.alignment = alignment
    }

    /// The register value for these flags (alignment must be a power of two in 4 KiB ... 1 GiB).
    @inlinable public var rawValue: UInt64 {
        let log2 = alignment <= UserSpace.pageBytes ? 0 : UInt64(alignment.trailingZeroBitCount)
        return (mayMove ? Self.mayMoveBit : 0) | log2 << Self.alignmentShift
    }

    /// Decodes the register; refusals name their reason (both EINVAL).
    public static func decode(_ raw: UInt64) throws(RejectionReason) -> RemapFlags {
        guard raw & ~(mayMoveBit | alignmentField) == 0 else { throw .unknownRemapFlags }
        let log2 = (raw & alignmentField) >> alignmentShift
        guard log2 == 0 || (12 ... 30).contains(log2) else { throw .invalidAlignment }
        return RemapFlags(mayMove: raw & mayMoveBit != 0, alignment: log2 == 0 ? UserSpace.pageBytes : 1 << log2)
    }
}

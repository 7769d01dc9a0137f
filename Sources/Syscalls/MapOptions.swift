// map's fourth argument (r10): how the range is backed and aligned.
//   bit 0       populate: allocate and map every page at the call (the eager behaviour, as Linux's
//               MAP_POPULATE); without it pages are reserved and committed, and backed on first touch
//   bits 8..13  log2 of the start's alignment: 0 = page alignment, else 12 ... 30 (4 KiB ... 1 GiB);
//               honoured by unhinted maps, a hint must itself be so aligned (else EINVAL)
//   any other bit set, or an alignment outside 12 ... 30 -> EINVAL (its own reason)

/// The decoded options of one map call.
public struct MapOptions: Hashable, Sendable {
    public var populate: Bool
    /// log2 of the alignment in bytes, 12 ... 30.
    public var alignmentShift: UInt64

    public static let populateBit: UInt64 = 1 << 0
    public static let alignmentShiftPosition: UInt64 = 8
    public static let alignmentField: UInt64 = 0x3F << alignmentShiftPosition
    public static let validShifts: ClosedRange<UInt64> = 12 ... 30

    public init(populate: Bool = false, alignmentShift: UInt64 = 12) {
        self.populate = populate
        self.alignmentShift = alignmentShift
    }

    /// The raw argument for these options (what the user runtime passes in r10).
    public var rawValue: UInt64 {
        (populate ? Self.populateBit : 0) | (alignmentShift == 12 ? 0 : alignmentShift << Self.alignmentShiftPosition)
    }

    /// The alignment in pages (a power of two, 1 for page alignment).
    public var alignmentPages: UInt64 { 1 << (alignmentShift - 12) }

    /// Decodes r10, refusing unknown bits first, then an alignment outside 12 ... 30.
    public static func decode(_ raw: UInt64) throws(RejectionReason) -> MapOptions {
        guard raw & ~(populateBit | alignmentField) == 0 else { throw .unknownMapOptions }
        let shift = (raw & alignmentField) >> alignmentShiftPosition
        guard shift == 0 || validShifts.contains(shift) else { throw .badAlignment }
        return MapOptions(populate: raw & populateBit != 0, alignmentShift: shift == 0 ? 12 : shift)
    }
}

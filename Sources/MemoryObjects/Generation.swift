// A slot's generation: the part of an id that tells a slot's current occupant from an earlier
// one. It starts at 1 and advances each time the slot is freed, modulo 2^16 with 0 skipped, so an
// id (handle value, object id, channel id) is never 0 and a freed id is refused until the counter
// comes all the way round (65 535 reuses of that one slot).

/// A 16-bit generation; never 0.
public struct Generation: Hashable, Sendable {
    public let raw: UInt16

    /// The generation of a slot that was never used.
    public static let first = Generation(validRaw: 1)

    @inlinable init(validRaw: UInt16) { raw = validRaw }

    /// nil for 0 (no slot ever has generation 0).
    @inlinable public init?(raw: UInt16) {
        guard raw != 0 else { return nil }
        self.raw = raw
    }

    /// The generation after a free: +1 modulo 2^16, skipping 0.
    @inlinable public var next: Generation {
        let advanced = raw &+ 1
        return Generation(validRaw: advanced == 0 ? 1 : advanced)
    }
}

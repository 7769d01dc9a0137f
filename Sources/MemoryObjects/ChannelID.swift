// The kernel's name for a channel (a pair of endpoints): slot and generation, as ObjectID.

/// raw = generation << 16 | slot. Never 0.
public struct ChannelID: Hashable, Sendable {
    public let raw: UInt32

    @inlinable public init(raw: UInt32) { self.raw = raw }

    @inlinable init(slot: Int, generation: Generation) {
        raw = UInt32(generation.raw) << 16 | UInt32(truncatingIfNeeded: slot)
    }

    @inlinable var slot: Int { Int(raw & 0xFFFF) }
    @inlinable var generation: Generation? { Generation(raw: UInt16(truncatingIfNeeded: raw >> 16)) }
}

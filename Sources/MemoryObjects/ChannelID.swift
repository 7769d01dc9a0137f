// The kernel's name for a channel (a pair of endpoints): slot and generation, as ObjectID.

/// raw = generation << 16 | slot (SlotName). Never 0.
public struct ChannelID: Hashable, Sendable {
    public let raw: UInt32

    @inlinable public init(raw: UInt32) { self.raw = raw }

    @inlinable init(slot: Int, generation: Generation) {
        raw = SlotName.raw(slot: slot, generation: generation)
    }

    @inlinable var slot: Int { SlotName.slot(raw) }
    @inlinable var generation: Generation? { SlotName.generation(raw) }
}

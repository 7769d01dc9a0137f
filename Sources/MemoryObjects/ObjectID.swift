// The kernel's name for a memory object: its registry slot and that slot's generation, so an id
// kept past the object's death (a bug elsewhere) fails cleanly instead of reaching a new object.

/// raw = generation << 16 | slot (SlotName). Never 0 (generations are never 0).
public struct ObjectID: Hashable, Sendable {
    public let raw: UInt32

    @inlinable public init(raw: UInt32) { self.raw = raw }

    @inlinable init(slot: Int, generation: Generation) {
        raw = SlotName.raw(slot: slot, generation: generation)
    }

    @inlinable var slot: Int { SlotName.slot(raw) }
    /// nil when the raw value has generation 0 (no object ever has it).
    @inlinable var generation: Generation? { SlotName.generation(raw) }
}

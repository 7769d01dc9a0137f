// The one encoding of a slot-table name (ObjectID, ChannelID): generation << 16 | slot, in 32
// bits. Never 0, since generations are never 0, so a name kept past its slot's reuse fails cleanly.
@usableFromInline enum SlotName {
    @inlinable static func raw(slot: Int, generation: Generation) -> UInt32 {
        UInt32(generation.raw) << 16 | UInt32(truncatingIfNeeded: slot)
    }

    @inlinable static func slot(_ raw: UInt32) -> Int { Int(raw & 0xFFFF) }

    /// nil when the raw value has generation 0 (no live name has it).
    @inlinable static func generation(_ raw: UInt32) -> Generation? { Generation(raw: UInt16(truncatingIfNeeded: raw >> 16)) }
}

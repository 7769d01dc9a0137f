// The number user space sees for a handle (ABI): generation << 16 | (slot + 1). Never 0 (slot + 1
// >= 1), so 0 can mean "no handle"; bits 32-63 are always 0. A closed handle's value stops
// working because the slot's generation moves on when it is freed. Handles given at spawn are
// slots 0, 1, ... with generation 1: 0x10001, 0x10002, ...

public struct HandleValue: Hashable, Sendable {
    public let raw: UInt64

    @inlinable public init(raw: UInt64) { self.raw = raw }

    @inlinable init(slot: Int, generation: Generation) {
        raw = UInt64(generation.raw) << 16 | UInt64(slot + 1)
    }

    /// The value a child's i-th startup handle has (slot i, generation 1).
    @inlinable public static func startup(index: Int) -> HandleValue { HandleValue(slot: index, generation: .first) }

    /// (slot, generation) when the value is well formed (high bits 0, slot field >= 1, generation
    /// != 0); whether that slot holds that generation is the table's question.
    @inlinable var decoded: (slot: Int, generation: Generation)? {
        guard raw >> 32 == 0, raw & 0xFFFF != 0, let generation = Generation(raw: UInt16(truncatingIfNeeded: raw >> 16))
        else { return nil }
        return (Int(raw & 0xFFFF) - 1, generation)
    }
}

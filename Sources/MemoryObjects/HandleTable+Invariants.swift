// The handle table's checker: called by the tests after every operation.

/// The first broken rule found in a handle table.
public enum HandleTableInvariantViolation: Error, Equatable, Sendable {
    /// The stored count differs from the occupied slots, or exceeds the capacity.
    case countWrong(recorded: Int)
    /// An occupied slot's current value does not decode back to that slot.
    case valueDoesNotDecode(slot: Int)
}

extension HandleTable {
    public func checkInvariants() -> HandleTableInvariantViolation? {
        guard slots.isConsistent(isPresent: { handles[$0] != nil }), slots.capacity == Self.capacity else {
            return .countWrong(recorded: count)
        }
        for slot in slots.occupiedSlots {
            let value = HandleValue(slot: slot, generation: slots.generations[slot])
            guard let decoded = value.decoded, decoded.slot == slot, (try? lookup(value)) != nil else {
                return .valueDoesNotDecode(slot: slot)
            }
        }
        return nil
    }
}

// A process's handle table: 64 slots, each empty or holding one Handle. A handle's value is
// generation << 16 | (slot + 1) (HandleValue.swift); a slot's generation moves on when the handle
// in it is removed, so a closed handle's value is refused afterwards ("bad-handle").
//
// The table only stores handles; it never retains or releases the objects they name (that is
// KernelObjects' job, which keeps "one handle = one reference" in one place).
//
// Invariants: count == occupied slots <= 64; generations never 0 (by type); every value handed out
// decodes to an occupied slot while its handle is in the table.

public struct HandleTable {
    /// Handles per process.
    public static let capacity = 64

    var slots = SlotAllocator(capacity: HandleTable.capacity)
    /// handles[s]: the handle in slot s (nil when the slot is free).
    var handles = [Handle?](repeating: nil, count: HandleTable.capacity)

    public init() {}

    /// Handles in the table.
    public var count: Int { slots.count }
    /// Slots free for new handles.
    public var freeCount: Int { slots.freeCount }

    /// Puts `handle` in the lowest free slot and returns its value.
    public mutating func insert(_ handle: Handle) throws(ObjectError) -> HandleValue {
        guard let (slot, generation) = slots.allocate() else { throw .handleTableFull }
        handles[slot] = handle
        return HandleValue(slot: slot, generation: generation)
    }

    /// A spawned child's startup handles: `handles[i]` goes to slot i with generation 1, so its
    /// value is `HandleValue.startup(index: i)` (0x10001, 0x10002, ...). Only on a table fresh from
    /// init() (else, or with more than 64 handles, `handleTableFull` and nothing changes).
    public mutating func insertStartup(_ handles: [Handle]) throws(ObjectError) -> [HandleValue] {
        guard count == 0, handles.count <= Self.capacity, slots.generations.allSatisfy({ $0 == .first }) else {
            throw .handleTableFull
        }
        var values: [HandleValue] = []
        for handle in handles { values.append(try insert(handle)) }
        return values
    }

    /// The handle a value names; `badHandle` for a malformed, free or stale value.
    public func lookup(_ value: HandleValue) throws(ObjectError) -> Handle {
        guard let (slot, generation) = value.decoded, slots.contains(slot: slot, generation: generation),
            let handle = handles[slot]
        else {
            throw .badHandle
        }
        return handle
    }

    /// Removes the handle a value names (its slot's generation moves on) and returns it; the
    /// caller now owns its reference.
    public mutating func remove(_ value: HandleValue) throws(ObjectError) -> Handle {
        guard let (slot, generation) = value.decoded, slots.contains(slot: slot, generation: generation),
            let handle = handles[slot]
        else { throw .badHandle }
        handles[slot] = nil
        _ = slots.free(slot: slot, generation: generation)
        return handle
    }

    /// Removes every handle (process end), in slot order; the caller owns their references.
    public mutating func removeAll() -> [Handle] {
        var removed: [Handle] = []
        for slot in slots.occupiedSlots {
            removed.append(handles[slot]!)
            handles[slot] = nil
            _ = slots.free(slot: slot, generation: slots.generations[slot])
        }
        return removed
    }

    /// Every (value, handle) in slot order.
    public var entries: [(value: HandleValue, handle: Handle)] {
        slots.occupiedSlots.map { (HandleValue(slot: $0, generation: slots.generations[$0]), handles[$0]!) }
    }

    /// Removes the handles `values` name, all or none: each must be in the table (`badHandle`),
    /// named once (`duplicateHandle`) and carry `transfer` (`rightsExceeded`); checked in that
    /// order, value by value, before anything is removed. For a send and for spawn.
    public mutating func removeForTransfer(_ values: [HandleValue]) throws(ObjectError) -> [Handle] {
        try checkTransferable(values)
        var removed: [Handle] = []
        for value in values { removed.append(try remove(value)) }
        return removed
    }

    /// removeForTransfer's checks alone (nothing changes).
    public func checkTransferable(_ values: [HandleValue]) throws(ObjectError) {
        for (index, value) in values.enumerated() {
            let handle = try lookup(value)
            if values[..<index].contains(value) { throw .duplicateHandle }
            guard handle.rights.contains(.transfer) else { throw .rightsExceeded }
        }
    }
}

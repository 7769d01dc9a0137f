// Fixed-capacity slots with a generation each: the one mechanism behind the object registry (1024
// slots), the channel table (256) and every handle table (64). An id is (slot, generation); it
// names an element only while the slot is occupied AND holds that generation, so a stale id
// fails instead of reaching the slot's next occupant.
//
// Invariants: 0 <= count <= capacity; count == number of occupied slots; every generation != 0
// (guaranteed by the Generation type). New elements take the LOWEST free slot (handles: POSIX's
// lowest-free-descriptor rule, which makes values predictable to tests and to the spawn ABI).
// Storage is allocated once, at init, at full capacity: inserting never allocates.

struct SlotTable<Element> {
    private(set) var elements: [Element?]
    private(set) var generations: [Generation]
    private(set) var count = 0

    init(capacity: Int) {
        elements = Array(repeating: nil, count: capacity)
        generations = Array(repeating: Generation.first, count: capacity)
    }

    var capacity: Int { elements.count }
    var isFull: Bool { count == capacity }
    var freeCount: Int { capacity - count }

    /// Puts `element` in the lowest free slot; nil (nothing changed) when every slot is occupied.
    mutating func insert(_ element: Element) -> (slot: Int, generation: Generation)? {
        guard !isFull, let slot = elements.firstIndex(where: { $0 == nil }) else { return nil }
        elements[slot] = element
        count += 1
        return (slot, generations[slot])
    }

    /// True when `slot` is occupied by the occupant of `generation`.
    func contains(slot: Int, generation: Generation) -> Bool {
        slot >= 0 && slot < capacity && elements[slot] != nil && generations[slot] == generation
    }

    /// The element, or nil for a slot out of range, free, or of another generation.
    func element(slot: Int, generation: Generation) -> Element? {
        contains(slot: slot, generation: generation) ? elements[slot] : nil
    }

    /// In-place access to an occupied slot (no copy of the element: an object's page array is
    /// mutated where it lies). The caller checked `contains` first; a free slot traps.
    subscript(occupied slot: Int) -> Element {
        get { elements[slot]! }
        _modify { yield &elements[slot]! }
    }

    /// Frees the slot and advances its generation; returns the element, or nil (nothing changed)
    /// when the id does not name an occupant.
    mutating func remove(slot: Int, generation: Generation) -> Element? {
        guard contains(slot: slot, generation: generation) else { return nil }
        let element = elements[slot]
        elements[slot] = nil
        generations[slot] = generations[slot].next
        count -= 1
        return element
    }

    /// Occupied slots in slot order.
    var occupiedSlots: [Int] { elements.indices.filter { elements[$0] != nil } }

    /// True when the stored count matches the occupied slots.
    var countIsConsistent: Bool { occupiedSlots.count == count && count <= capacity }
}

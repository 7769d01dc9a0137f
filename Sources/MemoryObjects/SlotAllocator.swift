// Fixed-capacity slots with a generation each: the one mechanism behind the object registry (1024
// slots), the channel table (256) and every handle table (64). Each owner keeps its elements in
// an array of optionals indexed by slot; this allocator decides which slot is free and which
// generation it holds. An id is (slot, generation); it names an element only while the slot is
// occupied AND holds that generation, so a stale id fails instead of reaching the slot's next
// occupant. (Not generic on purpose: the host's debug builds do not specialize generics across
// files, and these calls are on every operation and every checker pass.)
//
// New elements take the LOWEST free slot (handles: POSIX's lowest-free-descriptor rule, which
// makes values predictable to tests and to the spawn ABI). The occupied slots are also kept as a
// sorted list, so finding the lowest free slot, listing the live elements and checking them cost
// O(live elements), not O(capacity).
//
// Invariants: occupiedSlots is strictly increasing; s in occupiedSlots <=> isOccupied[s] (<=> the
// owner's element at s is non-nil); count <= capacity; every generation != 0 (by type). Storage is
// allocated once, at init, at full capacity.

struct SlotAllocator {
    private(set) var generations: [Generation]
    private var isOccupied: [Bool]
    /// The occupied slots, ascending.
    private(set) var occupiedSlots: [Int] = []

    init(capacity: Int) {
        generations = Array(repeating: Generation.first, count: capacity)
        isOccupied = Array(repeating: false, count: capacity)
        occupiedSlots.reserveCapacity(capacity)
    }

    var capacity: Int { generations.count }
    var count: Int { occupiedSlots.count }
    var isFull: Bool { count == capacity }
    var freeCount: Int { capacity - count }

    /// Takes the lowest free slot; nil (nothing changed) when every slot is occupied. The lowest
    /// free slot is the first position i where occupiedSlots[i] != i.
    mutating func allocate() -> (slot: Int, generation: Generation)? {
        guard !isFull else { return nil }
        var slot = 0
        while slot < occupiedSlots.count && occupiedSlots[slot] == slot { slot += 1 }
        occupiedSlots.insert(slot, at: slot)
        isOccupied[slot] = true
        return (slot, generations[slot])
    }

    /// True when `slot` is occupied by the occupant of `generation`.
    func contains(slot: Int, generation: Generation) -> Bool {
        slot >= 0 && slot < capacity && isOccupied[slot] && generations[slot] == generation
    }

    /// Frees the slot and advances its generation; false (nothing changed) when the id does not
    /// name an occupant.
    mutating func free(slot: Int, generation: Generation) -> Bool {
        guard contains(slot: slot, generation: generation), let index = position(of: slot) else { return false }
        isOccupied[slot] = false
        generations[slot] = generations[slot].next
        occupiedSlots.remove(at: index)
        return true
    }

    /// Where `slot` is in occupiedSlots (binary search).
    private func position(of slot: Int) -> Int? {
        var low = 0
        var high = occupiedSlots.count
        while low < high {
            let middle = (low + high) / 2
            if occupiedSlots[middle] < slot { low = middle + 1 } else { high = middle }
        }
        return low < occupiedSlots.count && occupiedSlots[low] == slot ? low : nil
    }

    /// The invariants above, over the occupied slots (O(live)); `isPresent(slot)` asks the owner
    /// whether it holds an element there.
    func isConsistent(isPresent: (Int) -> Bool) -> Bool {
        guard count <= capacity else { return false }
        var previous = -1
        for slot in occupiedSlots {
            guard slot > previous, slot < capacity, isOccupied[slot], isPresent(slot) else { return false }
            previous = slot
        }
        return true
    }
}

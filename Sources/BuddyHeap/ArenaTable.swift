// The arenas a heap holds: a sorted, fixed-capacity table of base addresses.
//
// Every arena is aligned to its size, so the only arena that can contain an address is the one
// at address & ~(arenaBytes - 1); the table answers "do we hold that one?" by binary search in
// O(log arenas), without touching memory outside the table (a foreign pointer is never read).

import MemoryCore

/// How many arenas one heap can hold (with 8 MiB arenas: 1 GiB of heap).
public let arenaTableCapacity = 128

@usableFromInline struct ArenaTable: Sendable {
    /// bases[0 ..< count], strictly increasing.
    var bases = InlineArray<128, UInt64>(repeating: 0)
    private(set) var count = 0

    init() {}

    var isFull: Bool { count == arenaTableCapacity }

    @inline(__always) subscript(index: Int) -> VirtualAddress { VirtualAddress(bases[index]) }

    /// The index of the first base >= `base` (binary search).
    ///
    /// `mutating` although it changes nothing: a mutating call passes the table by address, while
    /// a non-mutating one made Swift 6.3 (-O) copy all 1 KiB of entries on every element read,
    /// which cost ~100 ns per free (and in Embedded Swift a frame as big as the copy). Non-mutating
    /// callers use `contains`, which copies once.
    @inline(__always) mutating func insertionIndex(of base: VirtualAddress) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if bases[middle] < base.raw { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// True when `base` is the base of a held arena (hot path: by address, see insertionIndex).
    @inline(__always) mutating func holds(_ base: VirtualAddress) -> Bool {
        let index = insertionIndex(of: base)
        return index < count && bases[index] == base.raw
    }

    /// `holds` for non-mutating callers (cold paths).
    func contains(_ base: VirtualAddress) -> Bool {
        var table = self
        return table.holds(base)
    }

    /// Adds `base`. Precondition: not full, not already present.
    mutating func insert(_ base: VirtualAddress) {
        let index = insertionIndex(of: base)
        var position = count
        while position > index {
            bases[position] = bases[position - 1]
            position -= 1
        }
        bases[index] = base.raw
        count += 1
    }

    /// Removes the arena at `index`.
    mutating func remove(at index: Int) {
        var position = index
        while position + 1 < count {
            bases[position] = bases[position + 1]
            position += 1
        }
        count -= 1
    }
}

// Allocations above the largest block: contiguous frames straight from the source, tracked here
// so that `free(pointer)` finds them with the pointer alone.
//
// A sorted fixed-capacity table inside the heap struct (no heap allocation, no record a caller
// could overwrite). Such allocations are at least half an arena each, so a few dozen cover the
// whole of a small machine's memory; a full table makes further large requests fail (nil).

import MemoryCore

/// How many large allocations one heap tracks at once.
public let largeAllocationCapacity = 64

/// One live large allocation: [base, base + byteCount), byteCount a multiple of 4096.
public struct LargeAllocation: Hashable, Sendable {
    public var base: VirtualAddress
    public var byteCount: Int
    /// What the caller asked for (<= byteCount).
    public var requestedByteCount: Int

    @inlinable public init(base: VirtualAddress, byteCount: Int, requestedByteCount: Int) {
        self.base = base
        self.byteCount = byteCount
        self.requestedByteCount = requestedByteCount
    }

    @inlinable public var end: VirtualAddress { VirtualAddress(base.raw + UInt64(byteCount)) }
}

@usableFromInline struct LargeAllocationTable: Sendable {
    /// Sorted by base, non-overlapping.
    var bases = InlineArray<64, UInt64>(repeating: 0)
    var byteCounts = InlineArray<64, Int>(repeating: 0)
    var requestedByteCounts = InlineArray<64, Int>(repeating: 0)
    private(set) var count = 0
    /// Sum of byteCounts[0 ..< count].
    private(set) var liveBytes = 0

    init() {}

    var isFull: Bool { count == largeAllocationCapacity }

    @inline(__always) subscript(index: Int) -> LargeAllocation {
        LargeAllocation(
            base: VirtualAddress(bases[index]), byteCount: byteCounts[index],
            requestedByteCount: requestedByteCounts[index])
    }

    /// Index of the first allocation whose base is > `address`. Mutating only to be passed by
    /// address (see ArenaTable.insertionIndex).
    @inline(__always) private mutating func upperBound(_ address: VirtualAddress) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if bases[middle] <= address.raw { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the allocation whose range contains `address`, or nil.
    @inline(__always) mutating func index(containing address: VirtualAddress) -> Int? {
        let candidate = upperBound(address) - 1
        if candidate < 0 { return nil }
        return address.raw < self[candidate].end.raw ? candidate : nil
    }

    /// True when [base, base + byteCount) overlaps a tracked allocation. Mutating only to be
    /// passed by address, like `upperBound`.
    mutating func overlaps(base: VirtualAddress, byteCount: Int) -> Bool {
        let (end, wrapped) = base.raw.addingReportingOverflow(UInt64(byteCount))
        if wrapped { return true }  // a region past the top of the address space: refuse it
        let after = upperBound(VirtualAddress(end &- 1))
        if after == 0 { return false }
        return self[after - 1].end.raw > base.raw
    }

    /// Records an allocation. Precondition: not full, no overlap.
    mutating func insert(_ allocation: LargeAllocation) {
        let index = upperBound(allocation.base)
        var position = count
        while position > index {
            bases[position] = bases[position - 1]
            byteCounts[position] = byteCounts[position - 1]
            requestedByteCounts[position] = requestedByteCounts[position - 1]
            position -= 1
        }
        bases[index] = allocation.base.raw
        byteCounts[index] = allocation.byteCount
        requestedByteCounts[index] = allocation.requestedByteCount
        count += 1
        liveBytes += allocation.byteCount
    }

    /// Forgets the allocation at `index` and returns it.
    mutating func remove(at index: Int) -> LargeAllocation {
        let removed = self[index]
        var position = index
        while position + 1 < count {
            bases[position] = bases[position + 1]
            byteCounts[position] = byteCounts[position + 1]
            requestedByteCounts[position] = requestedByteCounts[position + 1]
            position += 1
        }
        count -= 1
        liveBytes -= removed.byteCount
        return removed
    }
}

// checkInvariants(): walks the free list and the in-use bitmap and returns the first broken rule
// (nil: all hold). O(capacity); tests call it after every step of their random sequences. The
// rules are those stated in ObjectPool.swift.

/// The first inconsistency ObjectPool.checkInvariants() found, with the values involved.
public enum PoolInvariantViolation: Equatable, Sendable {
    /// A free-list link outside the carved slots or off a slot boundary.
    case freeLinkOutOfRange(slot: UInt)
    /// A free-list entry whose in-use bit is set.
    case freeSlotMarkedInUse(slot: UInt)
    /// The free list is longer than the carved slots allow (a cycle, or a slot listed twice).
    case freeListTooLong
    /// carved != live + free-list length.
    case slotAccounting(carved: Int, live: Int, free: Int)
    /// The bitmap's set bits are not exactly `live`, or a bit is set at or beyond `carved`.
    case bitmap(setBits: Int, live: Int)
    case carvedBeyondCapacity(carved: Int)
}

extension ObjectPool {
    /// Nil when every rule holds; otherwise the first violation found.
    public func checkInvariants() -> PoolInvariantViolation? {
        if carved < 0 || carved > capacity { return .carvedBeyondCapacity(carved: carved) }
        let carvedEnd = memory.base + UInt(carved * slotByteCount)
        var free = 0
        var slot = freeHead
        while slot != 0 {
            if slot < memory.base || slot >= carvedEnd || (slot - memory.base) % UInt(slotByteCount) != 0 {
                return .freeLinkOutOfRange(slot: slot)
            }
            if isInUse(slot) { return .freeSlotMarkedInUse(slot: slot) }
            free += 1
            if free > carved { return .freeListTooLong }
            slot = memory.link(of: slot)
        }
        if carved != counters.live + free { return .slotAccounting(carved: carved, live: counters.live, free: free) }
        var setBits = 0
        for word in 0 ..< (capacity + 63) / 64 {
            let bits = memory.bitmapWord(word)
            setBits += bits.nonzeroBitCount
            // Bits at or past `carved` must be clear (they were never handed out).
            let firstIndex = word * 64
            if carved < firstIndex + 64 {
                let keep = max(0, carved - firstIndex)
                let beyond = keep >= 64 ? 0 : bits >> UInt64(keep)
                if beyond != 0 { return .bitmap(setBits: setBits, live: counters.live) }
            }
        }
        if setBits != counters.live { return .bitmap(setBits: setBits, live: counters.live) }
        return nil
    }
}

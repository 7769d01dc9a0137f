// The two operations a kernel heap does most, done inline in the caller: a cached block handed
// out again, and a block freed onto its order's cache. Each is a list pop or push plus one
// node-table update and the accounting, with every check the general paths make; whenever one
// of their preconditions does not hold they return without changing anything and the caller
// takes the general path (BuddyCore+Allocate, BuddyCore+Free), which handles every case.
//
// Both are @inlinable so that the generic BuddyHeap wrapper, specialised in the client, contains
// them: no call, no spilled registers, no enum results to build.

import MemoryCore

extension BuddyCore {
    /// The order `route` gives a valid request that a cached block can serve (order <=
    /// cachedOrderLimit), or nil for every other request (invalid, larger, or no cache).
    ///
    /// One unsigned comparison each rejects negative sizes, sizes beyond the cached orders,
    /// alignments of 0 and alignments beyond the cached orders; the order is then
    /// ceil(log2(max(size + trailer, alignment, 16))) - 4, as BlockOrder.fitting computes it.
    @inlinable @inline(__always)
    func cacheableOrder(byteCount: Int, alignment: Int) -> Int? {
        let bytes = UInt(bitPattern: byteCount)
        let align = UInt(bitPattern: alignment)
        guard bytes <= cachedRequestLimit, align &- 1 < cachedBlockBytes, align & (align &- 1) == 0 else { return nil }
        let needed = max(bytes &+ UInt(bitPattern: trailerBytes), align)
        return UInt.bitWidth &- ((needed &- 1) | UInt(minimumBlockBytes &- 1)).leadingZeroBitCount &- minimumBlockShift
    }

    /// A cached block for a request of `byteCount` bytes at `alignment`, or nil (nothing changed)
    /// when the request is not a valid cacheable one or its order's cache is empty.
    @inlinable @inline(__always)
    mutating func allocateCached(byteCount: Int, alignment: Int) -> VirtualAddress? {
        guard let order = cacheableOrder(byteCount: byteCount, alignment: alignment),
            let block = cacheLists.pop(order: order)
        else { return nil }
        let location = node(of: block, order: order)
        // A block on cache list k is a cached node of order k (invariant "lists").
        changeState(from: .cached, to: .allocated, arena: location.arena, node: location.node)
        handOut(block, arena: location.arena, order: order, requested: byteCount)
        return block
    }

    /// Frees the allocated block at `address` onto its order's cache and returns true, or returns
    /// false with nothing changed when that is not the whole job: the pointer is not in the arena
    /// of the last free, is not the start of an allocated block (every error case), the block is
    /// above the cached orders or its cache is full, trailers or debug options are on, or the
    /// block is its arena's last live one and one more empty arena would exceed the retained
    /// count (then surplus arenas go back to the source).
    @inlinable @inline(__always)
    mutating func freeToCache(_ address: VirtualAddress) -> Bool {
        let arena = VirtualAddress(address.raw & geometry.arenaBaseMask)
        let offset = address.raw &- arena.raw
        guard arena.raw == recentArena, offset & UInt64(minimumBlockBytes &- 1) == 0,
            offset >= geometry.reservedBytes
        else { return false }
        // A trusted guess is one read; otherwise the full lookup, whose result then says whether
        // the guess would have been right (the streak is updated only once the free succeeds).
        let leaf = geometry.node(offset: offset, order: 0)
        let highest = min(offset.trailingZeroBitCount &- minimumBlockShift, geometry.largestBlockOrder)
        var guessed = false
        var located: (node: Int, order: Int, state: NodeState)?
        if recentOrderTrust == BuddyCore.trustedStreak && recentOrder <= highest {
            located = block(onPathOf: leaf, order: recentOrder, arena: arena)
            guessed = located != nil
        }
        if !guessed { located = blockStarting(at: offset, arena: arena, likelyOrder: Int.max) }
        guard let block = located, block.state == .allocated,
            cacheLists.counts[block.order] < cacheLimits[block.order],
            UInt32(truncatingIfNeeded: trailerBytes) | debugOptions.rawValue == 0,
            liveBlockCount(arena: arena) > 1 || emptyArenaCount < retainedEmptyArenas
        else { return false }
        if !guessed {
            recentOrderTrust = block.order == recentOrder ? min(recentOrderTrust &+ 1, BuddyCore.trustedStreak) : 0
        }
        noteTakenBack(arena: arena, order: block.order)
        changeState(from: .allocated, to: .cached, arena: arena, node: block.node)
        cacheLists.push(address, order: block.order)
        return true
    }
}

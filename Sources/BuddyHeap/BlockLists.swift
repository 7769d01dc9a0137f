// Per-order intrusive doubly linked lists of blocks: the free lists and the cache lists.
//
// A listed block holds its links in its first 16 bytes: [next address][previous address], 0 for
// none. Doubly linked so that a merge removes the buddy in O(1) without a search. The heads live
// in this struct, which never points at itself: the heap may be copied or moved (the kernel
// keeps it in a global) without invalidating a link.

import MemoryCore

/// The most orders any heap can have (arenas up to 2^30 bytes have 26 block orders).
public let maximumOrderCount = 32

@usableFromInline struct BlockLists: Sendable {
    /// heads[k]: address of the first block of order k, 0 when the list is empty.
    @usableFromInline var heads = InlineArray<32, UInt64>(repeating: 0)
    /// counts[k]: how many blocks list k holds.
    @usableFromInline var counts = InlineArray<32, Int>(repeating: 0)
    /// Bit k set exactly when list k is non-empty, so the smallest fitting order is one bit scan.
    @usableFromInline var nonEmpty: UInt32 = 0
    /// True when every list is empty.
    @inlinable @inline(__always) var isEmpty: Bool { nonEmpty == 0 }

    init() {}

    @inlinable @inline(__always) func next(_ block: VirtualAddress) -> VirtualAddress {
        VirtualAddress(BlockMemory.loadWord(block))
    }

    @inlinable @inline(__always) func previous(_ block: VirtualAddress) -> VirtualAddress {
        VirtualAddress(BlockMemory.loadWord(VirtualAddress(block.raw &+ 8)))
    }

    @inlinable @inline(__always) func setNext(of block: VirtualAddress, to value: UInt64) {
        BlockMemory.storeWord(value, block)
    }

    @inlinable @inline(__always) func setPrevious(of block: VirtualAddress, to value: UInt64) {
        BlockMemory.storeWord(value, VirtualAddress(block.raw &+ 8))
    }

    /// Pushes `block` at the head of list `order`. Precondition: the block is owned by the heap,
    /// unlisted, and its first 16 bytes may be overwritten.
    @inlinable @inline(__always) mutating func push(_ block: VirtualAddress, order: Int) {
        let head = heads[order]
        setNext(of: block, to: head)
        setPrevious(of: block, to: 0)
        if head != 0 { setPrevious(of: VirtualAddress(head), to: block.raw) }
        heads[order] = block.raw
        counts[order] &+= 1
        nonEmpty |= 1 &<< UInt32(truncatingIfNeeded: order)
    }

    /// Pops the head of list `order`, or nil when it is empty.
    @inlinable @inline(__always) mutating func pop(order: Int) -> VirtualAddress? {
        let head = heads[order]
        if head == 0 { return nil }
        let block = VirtualAddress(head)
        let following = BlockMemory.loadWord(block)
        heads[order] = following
        if following != 0 {
            setPrevious(of: VirtualAddress(following), to: 0)
        } else {
            nonEmpty &= ~(1 &<< UInt32(truncatingIfNeeded: order))
        }
        counts[order] &-= 1
        return block
    }

    /// Unlinks `block` from list `order` in O(1). Precondition: the block is on that list.
    @inlinable @inline(__always) mutating func remove(_ block: VirtualAddress, order: Int) {
        let following = BlockMemory.loadWord(block)
        let preceding = BlockMemory.loadWord(VirtualAddress(block.raw &+ 8))
        if preceding != 0 {
            setNext(of: VirtualAddress(preceding), to: following)
        } else {
            heads[order] = following
            if following == 0 { nonEmpty &= ~(1 &<< UInt32(truncatingIfNeeded: order)) }
        }
        if following != 0 { setPrevious(of: VirtualAddress(following), to: preceding) }
        counts[order] &-= 1
    }

    /// The smallest order >= `order` whose list is non-empty, or nil.
    @inlinable @inline(__always) func lowestNonEmptyOrder(atLeast order: Int) -> Int? {
        let candidates = nonEmpty &>> UInt32(truncatingIfNeeded: order)
        return candidates == 0 ? nil : order &+ candidates.trailingZeroBitCount
    }
}

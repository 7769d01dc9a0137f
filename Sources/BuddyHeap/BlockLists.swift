// Per-order intrusive doubly linked lists of blocks: the free lists and the cache lists.
//
// Each order's list is MemoryCore's IntrusiveStack: a listed block holds its links in its first 16
// bytes, doubly linked so that a merge removes the buddy in O(1) without a search. This struct
// adds what the heap needs beside the links: a count per order and the non-empty mask.

import MemoryCore

/// The most orders any heap can have (arenas up to 2^30 bytes have 26 block orders).
public let maximumOrderCount = 32

/// A block on a free or cache list, by its address. Its links are its first 16 bytes.
@usableFromInline struct ListedBlock: IntrusiveListNode {
    @usableFromInline let address: VirtualAddress

    @inlinable @inline(__always) init(_ address: VirtualAddress) { self.address = address }
    @inlinable @inline(__always) init(nodeAddress: UInt) { address = VirtualAddress(UInt64(nodeAddress)) }
    @inlinable @inline(__always) var nodeAddress: UInt { UInt(truncatingIfNeeded: address.raw) }
    @inlinable static var linkOffset: Int { 0 }
}

@usableFromInline struct BlockLists: Sendable {
    /// lists[k]: the blocks of order k.
    @usableFromInline var lists = InlineArray<32, IntrusiveStack<ListedBlock>>(repeating: IntrusiveStack())
    /// counts[k]: how many blocks list k holds.
    @usableFromInline var counts = InlineArray<32, Int>(repeating: 0)
    /// Bit k set exactly when list k is non-empty, so the smallest fitting order is one bit scan.
    @usableFromInline var nonEmpty: UInt32 = 0
    /// True when every list is empty.
    @inlinable @inline(__always) var isEmpty: Bool { nonEmpty == 0 }

    init() {}

    /// Pushes `block` at the head of list `order`. Precondition: the block is owned by the heap,
    /// unlisted, and its first 16 bytes may be overwritten.
    @inlinable @inline(__always) mutating func push(_ block: VirtualAddress, order: Int) {
        lists[order].pushFront(ListedBlock(block))
        counts[order] &+= 1
        nonEmpty |= 1 &<< UInt32(truncatingIfNeeded: order)
    }

    /// Pops the head of list `order`, or nil when it is empty.
    @inlinable @inline(__always) mutating func pop(order: Int) -> VirtualAddress? {
        guard let block = lists[order].popFirst() else { return nil }
        if lists[order].isEmpty { nonEmpty &= ~(1 &<< UInt32(truncatingIfNeeded: order)) }
        counts[order] &-= 1
        return block.address
    }

    /// Unlinks `block` from list `order` in O(1). Precondition: the block is on that list.
    @inlinable @inline(__always) mutating func remove(_ block: VirtualAddress, order: Int) {
        if lists[order].remove(ListedBlock(block)) { nonEmpty &= ~(1 &<< UInt32(truncatingIfNeeded: order)) }
        counts[order] &-= 1
    }

    /// The smallest order >= `order` whose list is non-empty, or nil.
    @inlinable @inline(__always) func lowestNonEmptyOrder(atLeast order: Int) -> Int? {
        let candidates = nonEmpty &>> UInt32(truncatingIfNeeded: order)
        return candidates == 0 ? nil : order &+ candidates.trailingZeroBitCount
    }
}

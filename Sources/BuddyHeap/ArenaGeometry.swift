// Arena layout and buddy-tree index arithmetic: pure functions of the arena size, no memory access.
//
// An arena is 2^s bytes at an address aligned to 2^s. Its buddy tree has L = s - 4 levels below
// the root: node 1 is the whole arena (order L); node n has children 2n and 2n + 1 and buddy
// n ^ 1; the node of order k covering byte offset o is 2^(L-k) + (o >> (k + 4)).
//
//   [0, T)          node table: 2 bits per node, nodes 1 ..< 2^(L+1), so T = 2^(L+1) / 4 = 2^s / 32
//   [T, T + 16)     arena header (the arena's live block count)
//   [T + 16, 2^s)   blocks handed out by the heap
//
// The first two regions are carved as allocated blocks, so the root is always split and the
// largest block is the upper half of the arena: order L - 1, 2^(s-1) bytes. Metadata overhead is
// 1/32 of the arena plus 16 bytes (3.1 %).

import MemoryCore

@usableFromInline struct ArenaGeometry: Sendable {
    /// log2 of the arena's size in bytes.
    @usableFromInline let arenaShift: Int
    // The values below are functions of arenaShift, stored rather than derived on every call: the
    // hot paths read them once each (no shift, no overflow check per use).
    /// L: the order of the root node (the whole arena).
    @usableFromInline let rootOrder: Int
    @usableFromInline let arenaBytes: UInt64
    /// Bytes of the node table at the arena's start.
    @usableFromInline let nodeTableBytes: UInt64
    /// End of the carved metadata region [0, reservedBytes).
    @usableFromInline let reservedBytes: UInt64
    /// The largest order a caller can get: the arena's upper half.
    @usableFromInline let largestBlockOrder: Int
    /// ~(arenaBytes - 1): address & arenaBaseMask is the base of the arena containing it.
    @usableFromInline let arenaBaseMask: UInt64

    @usableFromInline init(arenaShift: Int) {
        self.arenaShift = arenaShift
        rootOrder = arenaShift - minimumBlockShift
        arenaBytes = 1 << UInt64(arenaShift)
        nodeTableBytes = arenaBytes >> 5
        reservedBytes = nodeTableBytes + UInt64(minimumBlockBytes)
        largestBlockOrder = rootOrder - 1
        arenaBaseMask = ~(arenaBytes - 1)
    }

    /// Offset of the arena header (one 16-byte block after the node table).
    @inlinable @inline(__always) var headerOffset: UInt64 { nodeTableBytes }

    /// The base of the arena that would contain `address` (arenas are aligned to their size).
    @inlinable @inline(__always) func arenaBase(of address: VirtualAddress) -> VirtualAddress {
        VirtualAddress(address.raw & arenaBaseMask)
    }

    // The index arithmetic below wraps and masks its shifts (&+, &<<): orders are < 32 and
    // offsets < 2^30 by construction (HeapConfiguration.arenaShiftRange), and the checked forms
    // cost a third of the instructions of a free. GeometryTests sweeps every node of an arena.

    /// The node of order `order` that covers byte `offset` of the arena.
    @inlinable @inline(__always) func node(offset: UInt64, order: Int) -> Int {
        (1 &<< (rootOrder &- order))
            &+ Int(truncatingIfNeeded: offset &>> UInt64(truncatingIfNeeded: order &+ minimumBlockShift))
    }

    /// The byte offset at which node `node` of order `order` starts.
    @inlinable @inline(__always) func offset(node: Int, order: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: node &- (1 &<< (rootOrder &- order)))
            &<< UInt64(truncatingIfNeeded: order &+ minimumBlockShift)
    }

    /// The order of node `node` (node 1 is the root, order L).
    @inlinable @inline(__always) func order(ofNode node: Int) -> Int {
        rootOrder &- (Int.bitWidth &- 1 &- node.leadingZeroBitCount)
    }

    /// Calls `body(offset, order)` for each block of the unique decomposition of the offsets
    /// [start, end) into maximal naturally aligned blocks, in address order. Precondition: start
    /// and end are multiples of 16 and end <= arenaBytes.
    func forEachMaximalBlock(from start: UInt64, to end: UInt64, _ body: (UInt64, Int) -> Void) {
        var offset = start
        while offset < end {
            var order =
                offset == 0
                ? rootOrder
                : min(offset.trailingZeroBitCount - minimumBlockShift, rootOrder)
            while offset + (1 << UInt64(order + minimumBlockShift)) > end { order -= 1 }
            body(offset, order)
            offset += 1 << UInt64(order + minimumBlockShift)
        }
    }
}

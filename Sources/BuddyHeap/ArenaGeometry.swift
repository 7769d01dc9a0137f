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
    let arenaShift: Int

    init(arenaShift: Int) { self.arenaShift = arenaShift }

    /// L: the order of the root node (the whole arena).
    @inline(__always) var rootOrder: Int { arenaShift - minimumBlockShift }
    @inline(__always) var arenaBytes: UInt64 { 1 &<< UInt64(truncatingIfNeeded: arenaShift) }
    /// Bytes of the node table at the arena's start.
    @inline(__always) var nodeTableBytes: UInt64 { arenaBytes &>> 5 }
    /// Offset of the arena header (one 16-byte block after the node table).
    @inline(__always) var headerOffset: UInt64 { nodeTableBytes }
    /// End of the carved metadata region [0, reservedBytes).
    @inline(__always) var reservedBytes: UInt64 { nodeTableBytes + UInt64(minimumBlockBytes) }
    /// The largest order a caller can get: the arena's upper half.
    @inline(__always) var largestBlockOrder: Int { rootOrder - 1 }

    /// The base of the arena that would contain `address` (arenas are aligned to their size).
    @inline(__always) func arenaBase(of address: VirtualAddress) -> VirtualAddress {
        VirtualAddress(alignDown(address.raw, to: arenaBytes))
    }

    // The index arithmetic below wraps and masks its shifts (&+, &<<): orders are < 32 and
    // offsets < 2^30 by construction (HeapConfiguration.arenaShiftRange), and the checked forms
    // cost a third of the instructions of a free. GeometryTests sweeps every node of an arena.

    /// The node of order `order` that covers byte `offset` of the arena.
    @inline(__always) func node(offset: UInt64, order: Int) -> Int {
        (1 &<< (rootOrder &- order))
            &+ Int(truncatingIfNeeded: offset &>> UInt64(truncatingIfNeeded: order &+ minimumBlockShift))
    }

    /// The byte offset at which node `node` of order `order` starts.
    @inline(__always) func offset(node: Int, order: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: node &- (1 &<< (rootOrder &- order)))
            &<< UInt64(truncatingIfNeeded: order &+ minimumBlockShift)
    }

    /// The order of node `node` (node 1 is the root, order L).
    @inline(__always) func order(ofNode node: Int) -> Int {
        rootOrder &- (Int.bitWidth &- 1 &- node.leadingZeroBitCount)
    }

    /// Calls `body(offset, order)` for each block of the unique decomposition of the offsets
    /// [start, end) into maximal naturally aligned blocks, in address order. Precondition: start
    /// and end are multiples of 16 and end <= arenaBytes.
    func forEachMaximalBlock(from start: UInt64, to end: UInt64, _ body: (UInt64, Int) -> Void) {
        var offset = start
        while offset < end {
            var order = offset == 0
                ? rootOrder
                : min(offset.trailingZeroBitCount - minimumBlockShift, rootOrder)
            while offset + (1 << UInt64(order + minimumBlockShift)) > end { order -= 1 }
            body(offset, order)
            offset += 1 << UInt64(order + minimumBlockShift)
        }
    }
}

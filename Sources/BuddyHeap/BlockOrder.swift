// Block orders: the size class of a buddy block, log2 of its size in minimum blocks.

/// Bytes in the smallest block: room for the two links of a free-list entry.
public let minimumBlockBytes: Int = 16
/// log2(minimumBlockBytes).
public let minimumBlockShift: Int = 4

/// The order of a buddy block: a block of order k is `minimumBlockBytes << k` bytes and starts
/// at a multiple of its own size inside its arena (order 0 = 16 bytes, order 8 = 4 KiB).
public struct BlockOrder: Hashable, Comparable, Sendable {
    public var raw: Int

    @inlinable public init(_ raw: Int) { self.raw = raw }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }

    /// Bytes in a block of this order.
    @inlinable public var byteCount: Int { minimumBlockBytes &<< raw }

    /// The smallest order whose block holds `byteCount` bytes at `alignment` (a power of two):
    /// blocks are aligned to their size, so the order covers max(byteCount, alignment, 16).
    /// Precondition: 0 <= byteCount, alignment > 0, both well below 2^62.
    @inlinable public static func fitting(byteCount: Int, alignment: Int) -> BlockOrder {
        let needed = max(byteCount, alignment, minimumBlockBytes)
        let log2 = Int.bitWidth &- (needed &- 1).leadingZeroBitCount
        return BlockOrder(log2 &- minimumBlockShift)
    }
}

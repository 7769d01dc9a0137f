// The state of one node of an arena's buddy tree, kept in a 2-bit side-table entry.

/// What a node of the buddy tree is. Every path from a leaf to the root crosses exactly one node
/// that is a block (`allocated`, `free` or `cached`); the nodes above it are split and the nodes
/// below it are covered by it, and both are `notABlock`.
///
/// The encoding makes the zeroed table a valid "nothing is a block yet" state, which arena setup
/// relies on before it writes the first blocks.
@usableFromInline enum NodeState: UInt8, Sendable {
    /// Split into two halves, or covered by a block of higher order.
    case notABlock = 0
    /// Handed out by `allocate` (or reserved for the arena's own metadata).
    case allocated = 1
    /// On the free list of its order; its buddy is never also `free` (it would have been merged).
    case free = 2
    /// Freed but kept unmerged on the per-order cache list for quick reuse; may have a free buddy.
    case cached = 3

    /// The state a 2-bit table entry encodes (only the low two bits are used).
    @inlinable @inline(__always) init(bits: UInt8) {
        switch bits & 3 {
        case 0: self = .notABlock
        case 1: self = .allocated
        case 2: self = .free
        default: self = .cached
        }
    }

    /// True for the three states that name a block.
    @inline(__always) var isBlock: Bool { self != .notABlock }
}

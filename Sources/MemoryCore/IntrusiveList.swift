// IntrusiveList: the one doubly linked list of every allocator (BuddyHeap's free and cache lists;
// UserMalloc's partial spans, empty spans, medium bins, regions, large blocks and large cache).
//
// Intrusive: a node's two links live inside the node itself (a free block, a span or region
// header), at `Node.linkOffset` bytes from its address: [next][previous], 0 for none. So putting a
// node on a list never allocates (allocator bookkeeping must not), and removing a known node is
// O(1) without a search (a buddy merge, a medium coalesce, a span leaving its class).
//
// The list value holds only the address of its first node and, for a queue, of its last; it never
// points at itself, so the owner may be copied or moved (the kernel heap lives in a global)
// without invalidating a link. `Tail` decides at compile time whether the last node is tracked:
// `IntrusiveStack` (NoTail: head only, one word, nothing spent on a tail) or `IntrusiveQueue`
// (KnownTail: append at the end, take from the front, for FIFO reuse).
//
// Invariants (checkInvariants): walking `next` from the head reaches 0 after `count` nodes, each
// node's `previous` names the node before it (0 for the head); walking `previous` from the last
// node reaches the head after the same count; a queue's tail is that last node.
//
// This is the only file that reads or writes link words; callers hold typed nodes.

/// Storage for the two link words inside a node's header, so that a header declares where its
/// links are (its `linkOffset` is this field's offset). Only IntrusiveList reads or writes them.
public struct IntrusiveListLinks: Sendable {
    @usableFromInline var next: UInt = 0
    @usableFromInline var previous: UInt = 0

    @inlinable public init() {}
}

/// Something that can be on an intrusive list: a typed address with two link words inside.
public protocol IntrusiveListNode {
    /// The node's address (never 0): its links are at `nodeAddress + linkOffset`.
    var nodeAddress: UInt { get }
    /// The node at an address taken from a link (never 0).
    init(nodeAddress: UInt)
    /// Byte offset of the `next` link from the node's address; `previous` follows 8 bytes later.
    /// A multiple of 8. While the node is listed the list owns those 16 bytes.
    static var linkOffset: Int { get }
}

/// Whether a list tracks its last node (compile-time policy: NoTail costs nothing).
public protocol IntrusiveListTail: Sendable {
    init()
    /// The last node's address when tracked (0 = empty), nil when not tracked.
    var trackedLast: UInt? { get }
    mutating func setLast(_ address: UInt)
}

/// Head only: a stack (push and pop at the front, remove anywhere).
public struct NoTail: IntrusiveListTail {
    @inlinable public init() {}
    @inlinable @inline(__always) public var trackedLast: UInt? { nil }
    @inlinable @inline(__always) public mutating func setLast(_ address: UInt) {}
}

/// Head and tail: a queue (append at the back as well).
public struct KnownTail: IntrusiveListTail {
    @usableFromInline var last: UInt = 0
    @inlinable public init() {}
    @inlinable @inline(__always) public var trackedLast: UInt? { last }
    @inlinable @inline(__always) public mutating func setLast(_ address: UInt) { last = address }
}

public typealias IntrusiveStack<Node: IntrusiveListNode> = IntrusiveList<Node, NoTail>
public typealias IntrusiveQueue<Node: IntrusiveListNode> = IntrusiveList<Node, KnownTail>

/// A broken list, as found by `checkInvariants`.
public enum IntrusiveListViolation: Error, Equatable, Sendable {
    /// More than the allowed number of nodes: a cycle, or a node listed twice.
    case tooLong(limit: Int)
    /// `node`'s previous link does not name the node walked before it (`expected`, 0 at the head).
    case previousLinkWrong(node: UInt, expected: UInt)
    /// Walking back from the last node did not retrace the forward walk (`node` is where it left).
    case backwardWalkDiverged(node: UInt)
    /// A queue's tail is not the last node the forward walk reached.
    case tailWrong(recorded: UInt, walked: UInt)
    /// A link named an address the owner does not accept as a node (checked before reading it).
    case foreignNode(node: UInt)
}

public struct IntrusiveList<Node: IntrusiveListNode, Tail: IntrusiveListTail>: Sendable {
    /// The first node's address, 0 when the list is empty.
    @usableFromInline var head: UInt = 0
    @usableFromInline var tail = Tail()

    @inlinable public init() {}

    @inlinable @inline(__always) public var isEmpty: Bool { head == 0 }

    @inlinable @inline(__always) public var first: Node? { head == 0 ? nil : Node(nodeAddress: head) }

    /// The node after `node`, nil at the end. Contract: `node` is on this list.
    @inlinable @inline(__always) public func next(after node: Node) -> Node? {
        let address = Self.loadNext(node.nodeAddress)
        return address == 0 ? nil : Node(nodeAddress: address)
    }

    /// The node before `node`, nil at the head. Contract: `node` is on this list.
    @inlinable @inline(__always) public func previous(before node: Node) -> Node? {
        let address = Self.loadPrevious(node.nodeAddress)
        return address == 0 ? nil : Node(nodeAddress: address)
    }

    /// Puts `node` at the front. Contract: `node` is on no list; its link words may be overwritten.
    @inlinable @inline(__always) public mutating func pushFront(_ node: Node) {
        let address = node.nodeAddress
        let oldHead = head
        Self.storeNext(oldHead, of: address)
        Self.storePrevious(0, of: address)
        if oldHead != 0 { Self.storePrevious(address, of: oldHead) } else { tail.setLast(address) }
        head = address
    }

    /// Takes the front node off, or nil when the list is empty.
    @inlinable @inline(__always) public mutating func popFirst() -> Node? {
        let address = head
        if address == 0 { return nil }
        let following = Self.loadNext(address)
        if following != 0 { Self.storePrevious(0, of: following) } else { tail.setLast(0) }
        // The head is written last, so a caller's `isEmpty` right after folds into `following`.
        head = following
        return Node(nodeAddress: address)
    }

    /// Unlinks `node` in O(1) and returns true when the list is now empty. Contract: `node` is on
    /// this list. The node's own link words are left as they were.
    @discardableResult
    @inlinable @inline(__always) public mutating func remove(_ node: Node) -> Bool {
        let address = node.nodeAddress
        let following = Self.loadNext(address)
        let preceding = Self.loadPrevious(address)
        if following != 0 { Self.storePrevious(preceding, of: following) } else { tail.setLast(preceding) }
        if preceding != 0 {
            Self.storeNext(following, of: preceding)
            return false
        }
        head = following
        return following == 0
    }

    /// The nodes from the front. Contract: the list is not changed while iterating (take the next
    /// node before removing the current one, or use `popFirst`).
    @inlinable public func makeIterator() -> Iterator { Iterator(address: head) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline var address: UInt

        @inlinable init(address: UInt) { self.address = address }

        @inlinable public mutating func next() -> Node? {
            if address == 0 { return nil }
            let node = Node(nodeAddress: address)
            address = IntrusiveList.loadNext(address)
            return node
        }
    }

    /// Walks the list forward and back (at most `limit` nodes, so a cycle ends the walk) and
    /// returns the node count, or the first broken link. O(count). `isNode` is asked about every
    /// address before its links are read, so a damaged link into memory the owner does not know
    /// is reported instead of followed.
    public func checkInvariants(
        limit: Int, isNode: (Node) -> Bool = { _ in true }
    )
        -> Result<Int, IntrusiveListViolation>
    {
        var count = 0
        var preceding: UInt = 0
        var address = head
        while address != 0 {
            count += 1
            if count > limit { return .failure(.tooLong(limit: limit)) }
            if !isNode(Node(nodeAddress: address)) { return .failure(.foreignNode(node: address)) }
            if Self.loadPrevious(address) != preceding {
                return .failure(.previousLinkWrong(node: address, expected: preceding))
            }
            preceding = address
            address = Self.loadNext(address)
        }
        if let recorded = tail.trackedLast, recorded != preceding {
            return .failure(.tailWrong(recorded: recorded, walked: preceding))
        }
        // Backward: `previous` from the last node must retrace the same count and end at the head.
        var remaining = count
        address = preceding
        while address != 0 {
            remaining -= 1
            if remaining < 0 { return .failure(.backwardWalkDiverged(node: address)) }
            let before = Self.loadPrevious(address)
            if before != 0 && Self.loadNext(before) != address { return .failure(.backwardWalkDiverged(node: address)) }
            if before == 0 && address != head { return .failure(.backwardWalkDiverged(node: address)) }
            address = before
        }
        if remaining != 0 { return .failure(.backwardWalkDiverged(node: head)) }
        return .success(count)
    }

    // MARK: The link words (the file's only memory accesses)

    /// Contract for all four: `address` is a listed node's (or the node being listed's) address,
    /// non-zero, and its 16 link bytes at `linkOffset` are 8-aligned memory the list owns.
    @inlinable @inline(__always) static func linkPointer(_ address: UInt) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: address &+ UInt(Node.linkOffset)).unsafelyUnwrapped
    }

    @inlinable @inline(__always) static func loadNext(_ address: UInt) -> UInt {
        linkPointer(address).load(as: UInt.self)
    }

    @inlinable @inline(__always) static func loadPrevious(_ address: UInt) -> UInt {
        linkPointer(address).load(fromByteOffset: 8, as: UInt.self)
    }

    @inlinable @inline(__always) static func storeNext(_ value: UInt, of address: UInt) {
        linkPointer(address).storeBytes(of: value, as: UInt.self)
    }

    @inlinable @inline(__always) static func storePrevious(_ value: UInt, of address: UInt) {
        linkPointer(address).storeBytes(of: value, toByteOffset: 8, as: UInt.self)
    }
}

extension IntrusiveList: Sequence {}

extension IntrusiveList where Tail == KnownTail {
    /// The last node, nil when empty.
    @inlinable @inline(__always) public var last: Node? {
        tail.last == 0 ? nil : Node(nodeAddress: tail.last)
    }

    /// Puts `node` at the back. Contract: `node` is on no list; its link words may be overwritten.
    @inlinable @inline(__always) public mutating func append(_ node: Node) {
        let address = node.nodeAddress
        let oldLast = tail.last
        Self.storeNext(0, of: address)
        Self.storePrevious(oldLast, of: address)
        if oldLast != 0 { Self.storeNext(address, of: oldLast) } else { head = address }
        tail.last = address
    }
}

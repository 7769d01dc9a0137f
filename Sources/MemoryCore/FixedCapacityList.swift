// A list with a capacity fixed at compile time, stored inline: a "heapless" vector.
//
// The kernel's early boot runs before any heap exists, so its lists of regions, reservations and
// ranges live in `InlineArray` storage; user programs use the same list where an allocation is
// not wanted (a bounded work list, samples of a measurement). Appending to a full list throws
// `CapacityExceeded` and changes nothing: a capacity error is a value, never an allocation. Each
// caller decides what it means (counted, reported, or an error of its own).
//
// Stack cost: these lists are kilobytes, and a non-mutating method receives `self` by value, so
// an out-of-line element read would first copy the whole list onto the (64 KiB) kernel stack.
// The accessors are therefore inlined (`@inlinable`, so also into the client's module): inlined
// into a caller that already holds the list in memory, a read is a single load.

/// Appending to a full fixed-capacity collection: nothing was added.
public struct CapacityExceeded: Error, Equatable, Sendable {
    /// The collection's capacity (it held this many elements when the append was refused).
    public let capacity: Int

    @inlinable public init(capacity: Int) { self.capacity = capacity }
}

/// Up to `capacity` elements in inline storage. Invariant: 0 <= count <= capacity, and only
/// `storage[0 ..< count]` is meaningful (the rest holds the filler value).
public struct FixedCapacityList<let capacity: Int, Element> {
    @usableFromInline var storage: InlineArray<capacity, Element>
    @usableFromInline var storedCount: Int = 0

    /// Number of elements (the first `count` slots of the storage).
    @inlinable @inline(__always) public var count: Int { storedCount }

    /// An empty list. `filler` initialises the unused slots; it is never read back as an element.
    @inlinable public init(filler: Element) {
        storage = InlineArray(repeating: filler)
    }

    @inlinable @inline(__always) public var isEmpty: Bool { count == 0 }
    @inlinable @inline(__always) public var isFull: Bool { count == capacity }

    /// Element `index`; traps when index is not in 0 ..< count (a programming error, like Array).
    @inlinable @inline(__always) public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "FixedCapacityList index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < count, "FixedCapacityList index out of range")
            storage[index] = newValue
        }
    }

    @inlinable @inline(__always) public var last: Element? { count == 0 ? nil : storage[count - 1] }

    /// Appends `element`, or throws `CapacityExceeded` (and changes nothing) when the list is full.
    @inlinable @inline(__always) public mutating func append(_ element: Element) throws(CapacityExceeded) {
        if isFull { throw CapacityExceeded(capacity: capacity) }
        storage[count] = element
        storedCount += 1
    }

    /// Removes and returns the last element; nil when the list is empty.
    @inlinable public mutating func removeLast() -> Element? {
        guard count > 0 else { return nil }
        storedCount -= 1
        return storage[storedCount]
    }

    /// Keeps the first `newCount` elements (0 <= newCount <= count).
    @inlinable public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "FixedCapacityList truncate out of range")
        storedCount = newCount
    }

    /// Removes every element (the storage keeps its stale values, never read back).
    @inlinable public mutating func removeAll() { storedCount = 0 }

    /// Stable insertion sort by `areInIncreasingOrder`. These lists hold at most a few hundred
    /// entries and are sorted rarely (the kernel: once at boot), so O(n^2) with no allocation is
    /// the right trade.
    @inlinable public mutating func sort(by areInIncreasingOrder: (Element, Element) -> Bool) {
        var i = 1
        while i < count {
            let moving = storage[i]
            var j = i
            while j > 0 && areInIncreasingOrder(moving, storage[j - 1]) {
                storage[j] = storage[j - 1]
                j -= 1
            }
            storage[j] = moving
            i += 1
        }
    }
}

extension FixedCapacityList: Sendable where Element: Sendable {}

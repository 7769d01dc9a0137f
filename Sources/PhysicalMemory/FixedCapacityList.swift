// A list with a capacity fixed at compile time, stored inline (no heap).
//
// Everything in this module runs before any heap exists, so lists of regions, reservations and
// ranges live in `InlineArray` storage. Appending to a full list reports failure instead of
// growing; each public wrapper decides what a failure means (counted, or an error).
//
// Stack cost: these lists are kilobytes, and a non-mutating method receives `self` by value, so
// an out-of-line element read would first copy the whole list onto the (64 KiB) kernel stack.
// The accessors are therefore inlined (`@inlinable`, so also into the kernel's module): inlined
// into a caller that already holds the list in memory, a read is a single load.

/// Up to `capacity` elements in inline storage. Invariant: 0 <= count <= capacity, and only
/// `storage[0 ..< count]` is meaningful (the rest holds the filler value).
@usableFromInline
struct FixedCapacityList<let capacity: Int, Element> {
    @usableFromInline var storage: InlineArray<capacity, Element>
    @usableFromInline var count: Int = 0

    /// `filler` initialises the unused slots; it is never read back as an element.
    init(filler: Element) {
        storage = InlineArray(repeating: filler)
    }

    @inline(__always) var isFull: Bool { count == capacity }

    @inlinable @inline(__always) subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "FixedCapacityList index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < count, "FixedCapacityList index out of range")
            storage[index] = newValue
        }
    }

    @inlinable @inline(__always) var last: Element? { count == 0 ? nil : storage[count - 1] }

    /// Appends `element`; returns false (and changes nothing) when the list is full.
    @inline(__always) mutating func append(_ element: Element) -> Bool {
        if isFull { return false }
        storage[count] = element
        count += 1
        return true
    }

    /// Keeps the first `newCount` elements (newCount <= count).
    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "FixedCapacityList truncate out of range")
        count = newCount
    }

    /// Stable insertion sort by `areInIncreasingOrder`. Lists here hold at most a few hundred
    /// entries and are sorted once at boot, so O(n^2) with no allocation is the right trade.
    mutating func sort(by areInIncreasingOrder: (Element, Element) -> Bool) {
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

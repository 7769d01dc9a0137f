// The plan's segments: at most 16, in inline storage (no heap), kept sorted by address.

/// Up to `LoadPlan.segmentCapacity` segments, sorted by `pages.start`, readable as a collection.
/// Invariant: 0 <= count <= capacity; slots [0, count) hold segments, the rest hold nil.
public struct LoadSegmentList: RandomAccessCollection, Equatable, Sendable {
    public static var capacity: Int { 16 }

    var storage = InlineArray<16, LoadSegment?>(repeating: nil)
    public private(set) var count = 0

    init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> LoadSegment {
        precondition(index >= 0 && index < count, "LoadSegmentList index out of range")
        return storage[index]!
    }

    var isFull: Bool { count == Self.capacity }

    /// Inserts `segment` before the first segment that starts above it, so the list stays sorted.
    /// Contract: not full (the caller reports `tooManyLoadSegments` first).
    mutating func insertSorted(_ segment: LoadSegment) {
        precondition(!isFull, "LoadSegmentList is full")
        var slot = count
        while slot > 0 && storage[slot - 1]!.pages.start > segment.pages.start {
            storage[slot] = storage[slot - 1]
            slot -= 1
        }
        storage[slot] = segment
        count += 1
    }

    public static func == (a: Self, b: Self) -> Bool { a.elementsEqual(b) }
}

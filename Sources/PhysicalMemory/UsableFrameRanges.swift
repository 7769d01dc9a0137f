// The frames the kernel may hand out: usable RAM minus every reservation.
//
//   usable frames = U wholeFrames(usable region r)  \  U touchedFrames(reservation v)
//
// Reservations are widened outwards to whole frames, usable regions trimmed inwards, so a frame
// is usable only if every byte of it is usable RAM and no byte of it is reserved. The result is
// a sorted list of disjoint, non-empty, non-adjacent frame ranges.
import MemoryCore

/// Sorted, disjoint, non-empty frame ranges of usable RAM (fixed capacity, no heap).
public struct UsableFrameRanges: Sendable {
    /// Real maps have a handful of usable regions and each reservation splits at most one range
    /// in two, so 128 is far above need while keeping the list at 2 KiB of (kernel) stack.
    public static let capacity = 128

    @usableFromInline var ranges = FixedCapacityList<128, FrameRange>(filler: FrameRange(FrameNumber(0), FrameNumber(0)))

    /// Ranges that did not fit (their frames are simply not used: safe, but RAM is lost).
    public private(set) var droppedForCapacity = 0

    /// An empty list (nothing usable).
    public init() {}

    /// Usable frames of `map` minus `reservations`. A map that is not normalised is normalised
    /// first, so overlapping firmware claims always win over usable RAM; an already normalised
    /// map (the kernel's case) is used as is, which keeps the normalisation's kilobytes of
    /// temporaries off the boot stack.
    public init(map: MemoryMap, reservations: ReservationList) {
        let normalised = map.normalisationViolation() == nil ? map : map.normalised()
        let reserved = Self.sortedReservedFrames(reservations)
        for index in 0 ..< normalised.count where normalised[index].kind == .usable {
            appendSubtracting(reserved, from: normalised[index].range.wholeFrames)
        }
    }

    @inlinable @inline(__always) public var count: Int { ranges.count }

    @inlinable @inline(__always) public subscript(index: Int) -> FrameRange { ranges[index] }

    /// Sum of the ranges' frame counts.
    public var frameCount: UInt64 {
        var total: UInt64 = 0
        for index in 0 ..< count { total += self[index].count }
        return total
    }

    /// [first range's start, last range's end), the span a frame allocator must cover; empty
    /// (0 ..< 0) when there is no usable frame.
    public var span: FrameRange {
        guard count > 0 else { return FrameRange(FrameNumber(0), FrameNumber(0)) }
        return FrameRange(self[0].start, self[count - 1].end)
    }

    /// Appends `range` as-is (for callers that build the list themselves, e.g. tests). The range
    /// must be non-empty and lie after the last one; returns false and changes nothing otherwise.
    public mutating func append(_ range: FrameRange) -> Bool {
        guard !range.isEmpty, range.start <= range.end else { return false }
        if let last = ranges.last, last.end > range.start { return false }
        if let last = ranges.last, last.end == range.start {
            ranges[count - 1].end = range.end
            return true
        }
        do { try ranges.append(range) } catch {
            droppedForCapacity += 1
            return false
        }
        return true
    }

    /// Replaces range `index` (the bump allocator moves starts forward; may become empty).
    @inline(__always) mutating func replaceRange(at index: Int, with range: FrameRange) {
        ranges[index] = range
    }

    /// The reservations' touched frames, sorted by start (overlaps allowed). The list holds as many
    /// as a ReservationList (static assertion below): none may be dropped, or its frames would be
    /// handed out (with 35 boot modules, 64 entries once dropped one and its module was overwritten).
    @inline(__always) private static func sortedReservedFrames(
        _ reservations: ReservationList
    ) -> FixedCapacityList<256, FrameRange> {
        var reserved = FixedCapacityList<256, FrameRange>(filler: FrameRange(FrameNumber(0), FrameNumber(0)))
        precondition(ReservationList.capacity <= 256, "UsableFrameRanges must hold every reservation")
        for index in 0 ..< reservations.count {
            let frames = reservations[index].range.touchedFrames
            // Capacity 64 = ReservationList's capacity: one range per reservation always fits.
            if !frames.isEmpty { _ = try? reserved.append(frames) }
        }
        reserved.sort { $0.start < $1.start }
        return reserved
    }

    /// Appends the parts of `usable` not covered by any of the sorted `reserved` ranges.
    @inline(__always) private mutating func appendSubtracting(
        _ reserved: FixedCapacityList<256, FrameRange>, from usable: FrameRange
    ) {
        var cursor = usable.start
        for index in 0 ..< reserved.count {
            let cut = reserved[index]
            if cut.end <= cursor || cut.start >= usable.end { continue }
            if cut.start > cursor { _ = append(FrameRange(cursor, cut.start)) }
            cursor = max(cursor, cut.end)
            if cursor >= usable.end { return }
        }
        if cursor < usable.end { _ = append(FrameRange(cursor, usable.end)) }
    }
}

/// A broken UsableFrameRanges invariant, naming the first range involved.
public enum UsableFrameRangesViolation: Equatable, Sendable {
    /// Range `index` is empty or inverted.
    case emptyRange(index: Int)
    /// Range `index` does not end strictly before range index + 1 starts (overlap, disorder or
    /// adjacency, which `append` would have merged).
    case notSortedAndSeparate(index: Int)
}

extension UsableFrameRanges {
    /// Checks: every range non-empty; range[i].end < range[i + 1].start.
    public func checkInvariants() -> UsableFrameRangesViolation? {
        for index in 0 ..< count {
            if self[index].start >= self[index].end { return .emptyRange(index: index) }
            if index + 1 < count && self[index].end >= self[index + 1].start { return .notSortedAndSeparate(index: index) }
        }
        return nil
    }
}

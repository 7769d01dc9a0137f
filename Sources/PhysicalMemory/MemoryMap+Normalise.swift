// Normalising a firmware memory map: sorted, non-overlapping, merged, usable RAM frame-aligned.
//
// Algorithm (a boundary sweep, no allocation): collect every region's start and end, sort and
// deduplicate them into points p0 < p1 < ... < pk. Between two neighbouring points nothing starts
// or ends, so each elementary interval [p_i, p_i+1) is covered by a fixed set of regions; it gets
// the kind of highest `overlapPrecedence` among them (any non-usable kind beats usable), or is a
// gap when none covers it. Neighbouring intervals of the same kind that touch are merged. Finally
// usable regions are trimmed inwards to whole frames and dropped if nothing is left.
//
// Output invariants (checked by `normalisationViolation()` in tests):
//   for all i: region[i].start < region[i].end                      (no zero-length regions)
//   for all i: region[i].end <= region[i+1].start                    (sorted, disjoint)
//   region[i].end == region[i+1].start  =>  kind[i] != kind[i+1]     (maximally merged)
//   kind == .usable  =>  start % 4096 == 0 && end % 4096 == 0        (whole frames)
//   a byte is usable in the output  =>  it was usable in the input and no other region claims it
// Cost: O(P * R) for P <= 2R points and R <= 128 regions: about 32 000 steps, once at boot.
import MemoryCore

extension MemoryMap {
    /// The normalised form of this map (see the file comment for the algorithm and guarantees).
    /// `droppedForCapacity` carries over from this map, plus anything the result cannot hold.
    public func normalised() -> MemoryMap {
        let points = sortedBoundaries()
        var result = MemoryMap()
        result.droppedForCapacity = droppedForCapacity
        var pending: MemoryRegion? = nil
        var index = 0
        while index + 1 < points.count {
            let interval = PhysicalRange(start: PhysicalAddress(points[index]), end: PhysicalAddress(points[index + 1]))
            if let kind = winningKind(at: interval.start) {
                if var open = pending, open.kind == kind, open.range.end == interval.start {
                    open.range.end = interval.end
                    pending = open
                } else {
                    if let closed = pending { result.appendNormalised(closed) }
                    pending = MemoryRegion(range: interval, kind: kind)
                }
            }
            index += 1
        }
        if let closed = pending { result.appendNormalised(closed) }
        return result
    }

    /// Every non-empty region's start and end, sorted ascending, without duplicates.
    @inline(__always) private func sortedBoundaries() -> FixedCapacityList<256, UInt64> {
        var points = FixedCapacityList<256, UInt64>(filler: 0)
        for index in 0 ..< count where !self[index].range.isEmpty {
            // Capacity 256 = two boundaries for each of MemoryMap's 128 regions: always fits.
            _ = try? points.append(self[index].range.start.raw)
            _ = try? points.append(self[index].range.end.raw)
        }
        points.sort(by: <)
        var kept = 0
        for index in 0 ..< points.count where kept == 0 || points[kept - 1] != points[index] {
            points[kept] = points[index]
            kept += 1
        }
        points.truncate(to: kept)
        return points
    }

    /// The kind of highest precedence among regions containing `address`, or nil in a gap.
    @inline(__always) private func winningKind(at address: PhysicalAddress) -> MemoryRegionKind? {
        var winner: MemoryRegionKind? = nil
        for index in 0 ..< count where self[index].range.contains(address) {
            let kind = self[index].kind
            if winner == nil || kind.overlapPrecedence > winner!.overlapPrecedence { winner = kind }
        }
        return winner
    }

    /// Appends a merged region, trimming usable RAM inwards to whole frames.
    @inline(__always) private mutating func appendNormalised(_ region: MemoryRegion) {
        guard region.kind == .usable else { return append(region) }
        let frames = region.range.wholeFrames
        if !frames.isEmpty { append(MemoryRegion(range: frames.physicalRange, kind: .usable)) }
    }

    /// The first way this map breaks the normalised-map invariants above, or nil.
    public func normalisationViolation() -> MemoryMapViolation? {
        for index in 0 ..< count {
            let region = self[index]
            if region.range.start >= region.range.end { return .emptyRegion(index: index) }
            if region.kind == .usable && !(region.range.start.isFrameAligned && region.range.end.isFrameAligned) {
                return .usableNotFrameAligned(index: index)
            }
            guard index + 1 < count else { continue }
            let next = self[index + 1]
            if region.range.end > next.range.start { return .unsortedOrOverlapping(index: index) }
            if region.range.end == next.range.start && region.kind == next.kind { return .unmerged(index: index) }
        }
        return nil
    }
}

/// A broken normalised-map invariant, naming the first region involved.
public enum MemoryMapViolation: Equatable, Sendable {
    case emptyRegion(index: Int)
    case usableNotFrameAligned(index: Int)
    case unsortedOrOverlapping(index: Int)
    case unmerged(index: Int)
}

// The early bump allocator (in the spirit of Linux's memblock): hands out whole frames from the
// usable frame ranges before any real allocator exists, chiefly the frame allocator's metadata.
//
// Algorithm: first fit, lowest address first (low memory is what the boot page tables map). Each
// usable range keeps a cursor; an allocation takes the first range whose cursor, aligned up,
// leaves room, and bumps that cursor. Frames skipped for alignment stay unclaimed and are not
// recorded, so once the frame allocator takes over they are free again: padding never leaks.
//
// Invariants:
//   originalStart[i] <= remaining[i].start <= remaining[i].end              (cursors only bump)
//   every taken frame lies in a usable range and in no other taken range    (never a hole)
//   takenFrameCount == sum of takenRanges[j].count == frames handed out
// Everything handed out is recorded in `takenRanges` (merged when contiguous); an allocation that could
// not be recorded is refused, so `addTakenRanges(to:)` reserves exactly what was handed out.
import MemoryCore

public struct EarlyFrameAllocator: Sendable {
    /// Distinct taken ranges remembered (contiguous allocations merge into one).
    public static let takenCapacity = 32

    /// Where usable range i started (to check that cursors only bump and taken frames were
    /// usable); its end is remaining[i].end. Only the starts are kept: stack space is scarce.
    private var originalStarts = InlineArray<128, FrameNumber>(repeating: FrameNumber(0))
    /// Usable range i with its start bumped past what has been handed out.
    private var remaining: UsableFrameRanges
    private var takenRanges = FixedCapacityList<32, FrameRange>(filler: FrameRange(FrameNumber(0), FrameNumber(0)))

    /// Frames handed out so far.
    public private(set) var takenFrameCount: UInt64 = 0

    public init(usable: UsableFrameRanges) {
        remaining = usable
        for index in 0 ..< usable.count { originalStarts[index] = usable[index].start }
    }

    /// Bytes handed out so far (whole frames).
    public var takenByteCount: UInt64 { takenFrameCount << frameShift }

    /// Number of distinct taken ranges (contiguous allocations are merged into one).
    public var takenCount: Int { takenRanges.count }

    /// Taken range `index` (0 ..< takenCount), lowest-allocated first.
    public func taken(_ index: Int) -> PhysicalRange { takenRanges[index].physicalRange }

    /// `byteCount` rounded up to whole frames, starting at a multiple of `alignment` bytes (a power
    /// of two; below a frame means frame alignment), from usable memory and never across a hole.
    /// Nil when byteCount is 0, alignment is not a power of two, or no range has room.
    public mutating func allocate(byteCount: UInt64, alignment: UInt64) -> PhysicalRange? {
        guard byteCount > 0, isPowerOfTwo(alignment), let bytes = alignUp(byteCount, to: frameSize) else { return nil }
        let frameCount = bytes >> frameShift
        let frameAlignment = max(alignment >> frameShift, 1)
        for index in 0 ..< remaining.count {
            guard let start = fit(frameCount, aligned: frameAlignment, in: remaining[index]) else { continue }
            let claimed = FrameRange(start, FrameNumber(start.raw + frameCount))
            guard record(claimed) else { return nil }
            remaining.setStart(of: index, to: claimed.end)
            takenFrameCount += frameCount
            return claimed.physicalRange
        }
        return nil
    }

    /// Adds every taken range to `reservations` as `.allocatorMetadata`. Throws (after adding
    /// what fits) if the list is full: the caller must treat that as fatal.
    public func addTakenRanges(to reservations: inout ReservationList) throws(ReservationListError) {
        for index in 0 ..< takenCount {
            try reservations.add(taken(index), reason: .allocatorMetadata)
        }
    }

    /// The aligned start of `count` frames inside `range`, or nil if they do not fit.
    @inline(__always) private func fit(_ count: UInt64, aligned alignment: UInt64, in range: FrameRange) -> FrameNumber? {
        guard let start = alignUp(range.start.raw, to: alignment) else { return nil }
        let (end, overflow) = start.addingReportingOverflow(count)
        return !overflow && end <= range.end.raw ? FrameNumber(start) : nil
    }

    /// Remembers `claimed`, extending the last taken range when contiguous. False when full.
    private mutating func record(_ claimed: FrameRange) -> Bool {
        if let last = takenRanges.last, last.end == claimed.start {
            takenRanges[takenRanges.count - 1].end = claimed.end
            return true
        }
        do { try takenRanges.append(claimed) } catch { return false }
        return true
    }
}

extension UsableFrameRanges {
    /// Moves range `index`'s start forward (bump). Precondition: start <= newStart <= end.
    mutating func setStart(of index: Int, to newStart: FrameNumber) {
        precondition(self[index].start <= newStart && newStart <= self[index].end, "bump cursor out of range")
        replaceRange(at: index, with: FrameRange(newStart, self[index].end))
    }
}

/// A broken EarlyFrameAllocator invariant.
public enum EarlyFrameAllocatorViolation: Equatable, Sendable {
    /// Remaining range `index` starts before the usable range it came from, or past its end.
    case cursorOutsideItsRange(index: Int)
    /// Taken range `index` is not inside one usable range, or lies in a part not yet handed out.
    case takenRangeNotHandedOut(index: Int)
    /// Taken ranges `index` and a later one overlap.
    case takenRangesOverlap(index: Int)
    /// takenFrameCount differs from the sum of the taken ranges.
    case takenCountMismatch(recorded: UInt64, counted: UInt64)
}

extension EarlyFrameAllocator {
    /// Checks the invariants in the file comment.
    public func checkInvariants() -> EarlyFrameAllocatorViolation? {
        for index in 0 ..< remaining.count
        where remaining[index].start < originalStarts[index] || remaining[index].start > remaining[index].end {
            return .cursorOutsideItsRange(index: index)
        }
        var counted: UInt64 = 0
        for index in 0 ..< takenRanges.count {
            let taken = takenRanges[index]
            counted += taken.count
            if !isHandedOut(taken) { return .takenRangeNotHandedOut(index: index) }
            for other in index + 1 ..< takenRanges.count
            where taken.start < takenRanges[other].end && takenRanges[other].start < taken.end {
                return .takenRangesOverlap(index: index)
            }
        }
        if counted != takenFrameCount { return .takenCountMismatch(recorded: takenFrameCount, counted: counted) }
        return nil
    }

    /// True when `taken` lies inside one usable range, below that range's cursor.
    @inline(__always) private func isHandedOut(_ taken: FrameRange) -> Bool {
        for index in 0 ..< remaining.count
        where originalStarts[index] <= taken.start && taken.end <= remaining[index].start {
            return true
        }
        return false
    }
}

// The frame allocator's reference model, shared by the seeded random tests, the sweeps, the
// exhaustive exploration (PhysicalMemoryTests) and the operation-sequence fuzzer (Tests/Fuzz).
//
// The model keeps one state per frame (an array) and the live runs (an array plus a dictionary
// from start to position), and derives every expected answer independently of the allocator:
// lowest-first placement of single frames, first-fit placement of aligned runs, and the exact
// error of every free.
import MemoryCore
import PhysicalMemory

public enum ModelFrame: Equatable { case notManaged, reserved, free, runStart, insideRun }

public struct FrameAllocatorModel {
    public let span: FrameRange
    public var frames: [ModelFrame]
    public var runs: [(start: UInt64, count: UInt64)] = []
    public var runPosition: [UInt64: Int] = [:]
    public var freeCount: UInt64 = 0

    public init(span: FrameRange, usable: [FrameRange], reserved: [FrameRange]) {
        self.span = span
        frames = Array(repeating: .notManaged, count: Int(span.count))
        for range in usable { for frame in range.start.raw ..< range.end.raw { frames[offset(frame)] = .free } }
        for range in reserved {
            let low = max(range.start.raw, span.start.raw), high = min(range.end.raw, span.end.raw)
            for frame in low ..< max(low, high) { frames[offset(frame)] = .reserved }
        }
        freeCount = UInt64(frames.filter { $0 == .free }.count)
    }

    public func offset(_ frame: UInt64) -> Int { Int(frame - span.start.raw) }
    public func state(_ frame: UInt64) -> ModelFrame { span.contains(FrameNumber(frame)) ? frames[offset(frame)] : .notManaged }

    /// Lowest start s (a multiple of alignment) with frames s ..< s + count all free.
    public func firstFit(count: UInt64, alignment: UInt64) -> UInt64? {
        var streakStart: UInt64? = nil
        for frame in span.start.raw ..< span.end.raw {
            guard frames[offset(frame)] == .free else {
                streakStart = nil
                continue
            }
            if streakStart == nil { streakStart = frame }
            guard let candidate = alignUp(streakStart!, to: alignment) else { return nil }
            if candidate <= frame && frame + 1 - candidate >= count { return candidate }
        }
        return nil
    }

    /// The outcome the specification demands for allocate(count:alignment:): the first-fit start,
    /// or the error (count 0 or beyond the span, alignment not a power of two, no fitting run).
    public func expectedAllocation(count: UInt64, alignment: UInt64) -> Result<UInt64, FrameAllocatorError> {
        if count == 0 || count > span.count { return .failure(.invalidCount) }
        if alignment == 0 || alignment & (alignment - 1) != 0 { return .failure(.invalidAlignment) }
        return firstFit(count: count, alignment: alignment).map { .success($0) } ?? .failure(.outOfMemory)
    }

    /// The error the specification demands for freeing [start, start + count), or nil if valid.
    public func expectedFreeError(start: UInt64, count: UInt64) -> FrameAllocatorError? {
        if count == 0 { return .invalidCount }
        if !span.contains(FrameNumber(start)) { return .notManaged }
        if count > span.count { return .invalidCount }
        if start + count > span.end.raw { return .notManaged }
        switch state(start) {
        case .reserved: return .reserved
        case .notManaged: return .notManaged
        case .free: return .alreadyFree
        case .insideRun: return .runMismatch
        case .runStart: break
        }
        for frame in start + 1 ..< start + count where state(frame) != .insideRun { return .runMismatch }
        if state(start + count) == .insideRun { return .runMismatch }
        return nil
    }

    public mutating func allocate(start: UInt64, count: UInt64) {
        for frame in start ..< start + count {
            precondition(frames[offset(frame)] == .free, "model: allocating a non-free frame")
            frames[offset(frame)] = frame == start ? .runStart : .insideRun
        }
        runPosition[start] = runs.count
        runs.append((start, count))
        freeCount -= count
    }

    public mutating func free(start: UInt64) {
        let position = runPosition.removeValue(forKey: start)!
        let run = runs[position]
        for frame in run.start ..< run.start + run.count { frames[offset(frame)] = .free }
        let last = runs.removeLast()
        if position < runs.count {
            runs[position] = last
            runPosition[last.start] = position
        }
        freeCount += run.count
    }
}

extension ModelFrame {
    public init(_ state: FrameState) {
        switch state {
        case .free: self = .free
        case .allocatedRunStart: self = .runStart
        case .allocatedInsideRun: self = .insideRun
        case .reserved: self = .reserved
        case .notManaged: self = .notManaged
        }
    }
}

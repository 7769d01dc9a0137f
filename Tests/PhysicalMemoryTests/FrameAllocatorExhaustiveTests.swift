// Exhaustive exploration of a 16-frame allocator: every sequence of up to `depth` operations from
// a fixed alphabet (single and aligned-run allocations, including counts beyond the span; the free
// of every live run, exactly and with one frame too many; a double free; a free past the span),
// checked against FrameAllocatorModel after every step: the exact result or error, then
// checkInvariants(), the free count, every frame's state and largestFreeRun(); a refused operation
// must leave every metadata byte unchanged.
//
// The search is a depth-first walk with state hashing. Every mutable word of the allocator (bitmaps,
// free count, hint) lives in its metadata bytes, so those bytes ARE its state: a state already
// explored with at least as many operations left is not explored again, which covers every
// sequence while visiting each (state, remaining depth) once. Undo restores the metadata bytes.
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

struct FrameExploration {
    let fixture: AllocatorFixture
    var model: FrameAllocatorModel
    let depth: Int
    /// Metadata bytes -> most operations still to run when the state was explored.
    var explored: [[UInt8]: Int] = [:]
    var transitions = 0
    var failure: String?

    static let runs: [(count: UInt64, alignment: UInt64)] = [(2, 1), (2, 2), (3, 1), (4, 4), (5, 1), (8, 8), (16, 1), (17, 1)]

    init(usable: FrameRange, reserved: [FrameRange], depth: Int) throws {
        fixture = try AllocatorFixture(usable: [usable], reserved: reserved.map { ($0.physicalRange, .bootModule) })
        model = FrameAllocatorModel(span: fixture.allocator.span, usable: [usable], reserved: reserved)
        self.depth = depth
    }

    var allocator: FrameAllocator { fixture.allocator }

    /// The operations possible in the current state (frees depend on the live runs).
    func operations() -> [Operation] {
        var list: [Operation] = [.allocateOne] + Self.runs.map { .allocateRun(count: $0.count, alignment: $0.alignment) }
        for run in model.runs {
            list.append(.free(start: run.start, count: run.count))
            list.append(.free(start: run.start, count: run.count + 1))
        }
        if let free = (model.span.start.raw ..< model.span.end.raw).first(where: { model.state($0) == .free }) {
            list.append(.free(start: free, count: 1))
        }
        list.append(.free(start: model.span.end.raw, count: 1))
        return list
    }

    enum Operation {
        case allocateOne
        case allocateRun(count: UInt64, alignment: UInt64)
        case free(start: UInt64, count: UInt64)
    }

    /// Applies `operation` to both, checking the outcome; returns false (with `failure`) on a mismatch.
    mutating func apply(_ operation: Operation) -> Bool {
        let before = fixture.snapshot()
        var refused = false
        switch operation {
        case .allocateOne, .allocateRun:
            let (count, alignment): (UInt64, UInt64)
            if case .allocateRun(let c, let a) = operation { (count, alignment) = (c, a) } else { (count, alignment) = (1, 1) }
            let expected = model.expectedAllocation(count: count, alignment: alignment)
            let actual: Result<UInt64, FrameAllocatorError>
            do throws(FrameAllocatorError) {
                let frame =
                    if case .allocateOne = operation { try allocator.allocate() } else {
                        try allocator.allocate(count: count, alignment: alignment)
                    }
                actual = .success(frame.raw)
            } catch {
                actual = .failure(error)
            }
            guard actual == expected else {
                failure = "\(operation): \(actual) vs model \(expected)"
                return false
            }
            if case .success(let start) = actual { model.allocate(start: start, count: count) } else { refused = true }
        case .free(let start, let count):
            let expected = model.expectedFreeError(start: start, count: count)
            let actual = frameError { try allocator.free(runStartingAt: FrameNumber(start), count: count) }
            guard actual == expected else {
                failure = "\(operation): \(String(describing: actual)) vs model \(String(describing: expected))"
                return false
            }
            if expected == nil { model.free(start: start) } else { refused = true }
        }
        return checkAfter(operation, refusedIfUnchanged: before, refused: refused)
    }

    /// After `operation`: a refused one changed no metadata byte; then the full comparison.
    mutating func checkAfter(_ operation: Operation, refusedIfUnchanged before: [UInt8], refused: Bool) -> Bool {
        if refused && fixture.snapshot() != before {
            failure = "\(operation): refused but metadata changed"
            return false
        }
        if let violation = allocator.checkInvariants() {
            failure = "\(operation): \(violation)"
            return false
        }
        if allocator.statistics.freeFrames != model.freeCount {
            failure = "\(operation): free count"
            return false
        }
        var longest: UInt64 = 0, current: UInt64 = 0
        for frame in model.span.start.raw ..< model.span.end.raw {
            if ModelFrame(allocator.state(of: FrameNumber(frame))) != model.state(frame) {
                failure = "\(operation): frame \(frame)"
                return false
            }
            current = model.state(frame) == .free ? current + 1 : 0
            longest = max(longest, current)
        }
        if allocator.largestFreeRun() != longest {
            failure = "\(operation): largestFreeRun"
            return false
        }
        return true
    }

    /// Explores every sequence of up to `remaining` further operations from the current state.
    mutating func explore(remaining: Int) {
        guard remaining > 0, failure == nil else { return }
        let state = fixture.snapshot()
        if let seen = explored[state], seen >= remaining { return }
        explored[state] = remaining
        let savedModel = model
        for operation in operations() where failure == nil {
            transitions += 1
            guard apply(operation) else { return }
            explore(remaining: remaining - 1)
            restore(state)
            model = savedModel
        }
    }

    func restore(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { fixture.storage.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }
}

@Suite struct FrameAllocatorExhaustiveTests {
    /// 16 frames crossing a 64-frame word boundary, with and without a reserved frame inside.
    @Test(arguments: [false, true])
    func everySequenceOfSixOperationsOnSixteenFrames(withReservation: Bool) throws {
        let usable = frames(0x3A, 0x4A)
        var exploration = try FrameExploration(usable: usable, reserved: withReservation ? [frames(0x41, 0x42)] : [], depth: 6)
        exploration.explore(remaining: exploration.depth)
        #expect(exploration.failure == nil, "\(exploration.failure ?? "")")
        #expect(exploration.explored.count > 1000)
        print(
            "exhaustive frames reservation=\(withReservation) depth=\(exploration.depth) states=\(exploration.explored.count) transitions=\(exploration.transitions)"
        )
    }
}

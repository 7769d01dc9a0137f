// Seeded random operation sequences against a reference model.
//
// The model keeps one state per frame (an array) and the live runs (an array plus a dictionary
// from start to position), and derives every expected answer independently of the allocator:
// lowest-first placement of single frames, first-fit placement of aligned runs, and the exact
// error of every free. After EVERY step the test calls the allocator's full `checkInvariants()`
// (spans here are a few thousand frames, so the O(n / 64) walk is cheap), compares the free count
// and the frames the step touched; every 1000 steps it compares the state of every frame. Every
// refused operation must leave all metadata bytes unchanged.
//
// With a recent-frames stack (FrameAllocator+RecentFrames.swift) the model keeps its own copy of
// the stack and the stack's rules: allocate() takes the last frame freed, a run is first fit
// among the free frames not on the stack and, when none fits, among all of them after the stack
// is drained (the only refusal that may change metadata: it puts stacked frames back).
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

/// One randomized session: drives the allocator and the model with the same operations.
struct RandomSession {
    let fixture: AllocatorFixture
    var model: FrameAllocatorModel
    var rng: SeededGenerator
    let holes: [FrameRange]
    let reserved: [FrameRange]
    var errorsSeen: [FrameAllocatorError: Int] = [:]
    var successfulRuns = 0, successfulFrees = 0
    var failed = false
    /// The model's copy of the recent stack (last element = the next frame allocate() returns).
    var recent: [UInt64] = []
    let recentLimit: Int

    init(seed: UInt64, usable: [FrameRange], reserved: [FrameRange], holes: [FrameRange], recentFrames: Int = 0) throws {
        fixture = try AllocatorFixture(
            usable: usable, reserved: reserved.map { ($0.physicalRange, .bootModule) }, recentFrames: recentFrames)
        recentLimit = recentFrames
        model = FrameAllocatorModel(span: fixture.allocator.span, usable: usable, reserved: reserved)
        rng = SeededGenerator(seed: seed)
        self.holes = holes
        self.reserved = reserved
    }

    var allocator: FrameAllocator { fixture.allocator }

    mutating func fail(_ message: Comment, step: Int) {
        Issue.record("step \(step): \(message)")
        failed = true
    }

    mutating func run(steps: Int) {
        #expect(allocator.statistics.freeFrames == model.freeCount)
        for step in 0 ..< steps where !failed {
            // Alternate fill-heavy and drain-heavy phases so both near-empty and near-full states occur.
            let filling = (step / 2500) % 2 == 0
            let roll = Int.random(in: 0 ..< 100, using: &rng)
            let freeShare = filling ? 25 : 55
            if roll < 30 {
                allocateSingle(step)
            } else if roll < 80 - freeShare {
                allocateRun(step)
            } else if roll < 80 {
                freeValidRun(step)
            } else {
                invalidOperation(step)
            }
            checkAfterStep(step)
        }
    }

    mutating func checkAfterStep(_ step: Int) {
        if let violation = allocator.checkInvariants() { fail("invariant: \(violation)", step: step) }
        if allocator.statistics.freeFrames != model.freeCount {
            fail("free count \(allocator.statistics.freeFrames) vs \(model.freeCount)", step: step)
        }
        guard step % 1000 == 999 else { return }
        for frame in model.span.start.raw ..< model.span.end.raw
        where ModelFrame(allocator.state(of: FrameNumber(frame))) != model.state(frame) {
            fail("frame \(frame): \(allocator.state(of: FrameNumber(frame))) vs \(model.state(frame))", step: step)
            return
        }
        if allocator.largestFreeRun() != longestFreeRunInModel() { fail("largestFreeRun", step: step) }
        recent = []  // largestFreeRun drains the stack
        if allocator.recentFrameCount != 0 { fail("largestFreeRun left frames on the stack", step: step) }
    }

    /// First fit among the free frames not on the recent stack.
    func firstFitOffStack(count: UInt64, alignment: UInt64) -> UInt64? {
        guard !recent.isEmpty else { return model.firstFit(count: count, alignment: alignment) }
        var bitmapOnly = model
        for frame in recent { bitmapOnly.frames[bitmapOnly.offset(frame)] = .runStart }
        return bitmapOnly.firstFit(count: count, alignment: alignment)
    }

    func longestFreeRunInModel() -> UInt64 {
        var longest: UInt64 = 0, current: UInt64 = 0
        for state in model.frames {
            current = state == .free ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    mutating func allocateSingle(_ step: Int) {
        let expected = recent.last ?? model.firstFit(count: 1, alignment: 1)
        do {
            let frame = try allocator.allocate()
            guard frame.raw == expected else {
                return fail("allocate() gave \(frame.raw), model \(String(describing: expected))", step: step)
            }
            if !recent.isEmpty { recent.removeLast() }
            model.allocate(start: frame.raw, count: 1)
            if allocator.state(of: frame) != .allocatedRunStart { fail("state after allocate", step: step) }
        } catch {
            if expected != nil || error != .outOfMemory {
                fail("allocate() threw \(error), model \(String(describing: expected))", step: step)
            }
            errorsSeen[error, default: 0] += 1
        }
    }

    mutating func randomRunCount() -> UInt64 {
        switch Int.random(in: 0 ..< 10, using: &rng) {
        case 0 ..< 7: UInt64.random(in: 1 ... 8, using: &rng)
        case 7 ..< 9: UInt64.random(in: 9 ... 130, using: &rng)
        default: UInt64.random(in: 131 ... 300, using: &rng)
        }
    }

    mutating func allocateRun(_ step: Int) {
        let count = randomRunCount()
        let alignment = UInt64(1) << UInt64.random(in: 0 ... 8, using: &rng)
        if count == 1 && alignment == 1 { return allocateSingle(step) }  // the same call underneath
        var expected = firstFitOffStack(count: count, alignment: alignment)
        let drains = expected == nil && !recent.isEmpty
        if drains { expected = model.firstFit(count: count, alignment: alignment) }
        let before = fixture.snapshot()
        defer { if drains { recent = [] } }
        do {
            let start = try allocator.allocate(count: count, alignment: alignment)
            guard start.raw == expected else {
                return fail("run \(count)/\(alignment) at \(start.raw), model \(String(describing: expected))", step: step)
            }
            model.allocate(start: start.raw, count: count)
            successfulRuns += 1
            if allocator.state(of: start) != .allocatedRunStart
                || (count > 1 && allocator.state(of: FrameNumber(start.raw + count - 1)) != .allocatedInsideRun)
            {
                fail("run states", step: step)
            }
        } catch {
            if expected != nil || error != .outOfMemory {
                fail("run \(count)/\(alignment) threw \(error), model \(String(describing: expected))", step: step)
            }
            if !drains && fixture.snapshot() != before { fail("metadata changed by a refused run allocation", step: step) }
            errorsSeen[error, default: 0] += 1
        }
    }

    mutating func freeValidRun(_ step: Int) {
        guard !model.runs.isEmpty else { return }
        let run = model.runs[Int.random(in: 0 ..< model.runs.count, using: &rng)]
        attemptFree(start: run.start, count: run.count, step: step)
    }

    /// Frees [start, start + count) in both, expecting exactly the model's verdict.
    mutating func attemptFree(start: UInt64, count: UInt64, step: Int) {
        let expected = model.expectedFreeError(start: start, count: count)
        let before = fixture.snapshot()
        let error = frameError { try allocator.free(runStartingAt: FrameNumber(start), count: count) }
        if error != expected {
            return fail(
                "free(\(start), \(count)) gave \(String(describing: error)), model \(String(describing: expected))", step: step)
        }
        if let error {
            errorsSeen[error, default: 0] += 1
            if fixture.snapshot() != before { fail("metadata changed by a refused free", step: step) }
        } else {
            model.free(start: start)
            if count == 1 && recent.count < recentLimit { recent.append(start) }
            successfulFrees += 1
            if !allocator.isFree(FrameNumber(start)) { fail("freed frame not free", step: step) }
        }
    }

    mutating func randomFrame(in range: FrameRange) -> UInt64 {
        UInt64.random(in: range.start.raw ..< range.end.raw, using: &rng)
    }

    mutating func invalidOperation(_ step: Int) {
        let span = model.span
        switch Int.random(in: 0 ..< 7, using: &rng) {
        case 0:  // already free: a random frame that the model says is free
            for _ in 0 ..< 8 {
                let frame = randomFrame(in: span)
                if model.state(frame) == .free {
                    return attemptFree(start: frame, count: UInt64.random(in: 1 ... 3, using: &rng), step: step)
                }
            }
        case 1:  // not managed: in a hole, below or past the span
            let choices: [UInt64] = [
                randomFrame(in: holes.randomElement(using: &rng)!), span.start.raw - 1,
                span.end.raw, span.end.raw + UInt64.random(in: 0 ... 1 << 40, using: &rng),
            ]
            attemptFree(start: choices.randomElement(using: &rng)!, count: 1, step: step)
        case 2:  // reserved
            attemptFree(start: randomFrame(in: reserved.randomElement(using: &rng)!), count: 1, step: step)
        case 3:  // run mismatch: part of a run, a run plus its neighbour, or its interior
            guard let run = model.runs.randomElement(using: &rng) else { return }
            let variants: [(UInt64, UInt64)] = [
                (run.start, run.count + 1), (run.start, max(run.count, 2) - 1),
                (run.start + 1, run.count), (run.start, run.count + UInt64.random(in: 1 ... 70, using: &rng)),
            ]
            let (start, count) = variants.randomElement(using: &rng)!
            attemptFree(start: start, count: count, step: step)
        case 4:  // invalid count
            guard let run = model.runs.randomElement(using: &rng) else { return }
            attemptFree(start: run.start, count: Bool.random(using: &rng) ? 0 : span.count + 1, step: step)
        case 5:  // invalid alignment: nothing may change
            let before = fixture.snapshot()
            let alignment = [0, 3, 5, 6, 12, 100, 1 << 40 | 1].randomElement(using: &rng)!
            let error = frameError {
                _ = try allocator.allocate(count: UInt64.random(in: 1 ... 9, using: &rng), alignment: UInt64(alignment))
            }
            if error != .invalidAlignment || fixture.snapshot() != before {
                fail("invalid alignment \(alignment): \(String(describing: error))", step: step)
            }
            errorsSeen[.invalidAlignment, default: 0] += 1
        default:  // anything at all near the span: the model decides what must happen
            let start = UInt64.random(in: span.start.raw - 20 ..< span.end.raw + 20, using: &rng)
            attemptFree(start: start, count: UInt64.random(in: 1 ... 12, using: &rng), step: step)
        }
    }

    func expectEveryErrorKindSeen() {
        for kind: FrameAllocatorError in [
            .outOfMemory, .alreadyFree, .notManaged, .reserved, .runMismatch, .invalidCount, .invalidAlignment,
        ] {
            #expect(errorsSeen[kind, default: 0] >= 50, "error \(kind) seen \(errorsSeen[kind, default: 0]) times")
        }
        #expect(successfulRuns >= 1000 && successfulFrees >= 1000)
    }
}

@Suite struct FrameAllocatorRandomTests {
    /// Low memory with holes and reservations (one of them inside a hole): 100 000 operations.
    @Test func hundredThousandOperationsWithHolesAndReservations() throws {
        var session = try RandomSession(
            seed: 0x5EED_F4A3,
            usable: [frames(0x20, 0x300), frames(0x340, 0x700), frames(0x701, 0x900), frames(0x980, 0x1020)],
            reserved: [frames(0x100, 0x108), frames(0x500, 0x501), frames(0x310, 0x320), frames(0x9F0, 0x9F4)],
            holes: [frames(0x300, 0x310), frames(0x320, 0x340), frames(0x700, 0x701), frames(0x900, 0x980)])
        session.run(steps: 100_000)
        session.expectEveryErrorKindSeen()
    }

    /// Memory above 4 GiB whose span starts off a 64-frame boundary: 40 000 operations.
    @Test func operationsAboveFourGiBWithUnalignedSpan() throws {
        let base: UInt64 = 0x1_0000_0000 >> 12
        var session = try RandomSession(
            seed: 0x5EED_B16,
            usable: [frames(base + 0x2B, base + 0x400), frames(base + 0x480, base + 0xC00)],
            reserved: [frames(base + 0x600, base + 0x610)],
            holes: [frames(base + 0x400, base + 0x480)])
        session.run(steps: 40_000)
        session.expectEveryErrorKindSeen()
    }

    /// A span of 40 960 frames (640 leaf words: a run-length tree of 4 levels, a free hierarchy of
    /// 3): 20 000 operations, so that searches climb and descend through every level.
    @Test func operationsOverDeepSummaries() throws {
        var session = try RandomSession(
            seed: 0x5EED_DEE9,
            usable: [frames(0x40, 0x4000), frames(0x4100, 0xA040)],
            reserved: [frames(0x7000, 0x7003)],
            holes: [frames(0x4000, 0x4100)])
        session.run(steps: 20_000)
        #expect(session.successfulRuns >= 1000 && session.successfulFrees >= 1000)
    }

    /// The kernel's configuration, a full recent stack (64 frames), over the holes and
    /// reservations of the first test: 100 000 operations.
    @Test func hundredThousandOperationsWithTheRecentStack() throws {
        var session = try RandomSession(
            seed: 0x5EED_57AC,
            usable: [frames(0x20, 0x300), frames(0x340, 0x700), frames(0x701, 0x900), frames(0x980, 0x1020)],
            reserved: [frames(0x100, 0x108), frames(0x500, 0x501), frames(0x310, 0x320), frames(0x9F0, 0x9F4)],
            holes: [frames(0x300, 0x310), frames(0x320, 0x340), frames(0x700, 0x701), frames(0x900, 0x980)],
            recentFrames: FrameAllocator.recentCapacity)
        session.run(steps: 100_000)
        session.expectEveryErrorKindSeen()
    }

    /// A small stack (5 frames) that is full most of the time, above 4 GiB on an unaligned span.
    @Test func operationsWithASmallFullRecentStack() throws {
        let base: UInt64 = 0x1_0000_0000 >> 12
        var session = try RandomSession(
            seed: 0x5EED_5A11,
            usable: [frames(base + 0x2B, base + 0x400), frames(base + 0x480, base + 0xC00)],
            reserved: [frames(base + 0x600, base + 0x610)],
            holes: [frames(base + 0x400, base + 0x480)], recentFrames: 5)
        session.run(steps: 40_000)
        session.expectEveryErrorKindSeen()
    }
}

// Exhaustive sweeps: every run count 1...200 with every alignment 1...256 on fixed fragmentation
// patterns, checked against the reference model's first fit. This drives all three run-search
// strategies (short word-pair masks, full-word guided, free-frame guided) across word and span
// boundaries, including a span that starts off a 64-frame boundary.
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

@Suite struct FrameAllocatorSweepTests {
    /// Frames held (allocated as single frames) before the sweep, by pattern name.
    static let patterns = ["every-7th", "random-30-percent", "gaps-65-127-129", "misaligned", "empty"]

    func heldFrames(_ pattern: String, in span: FrameRange) -> [UInt64] {
        var rng = SeededGenerator(seed: 0x5EED_0006)
        switch pattern {
        case "every-7th": return stride(from: span.start.raw, to: span.end.raw, by: 7).map { $0 }
        case "random-30-percent":
            return (span.start.raw ..< span.end.raw).filter { _ in Int.random(in: 0 ..< 10, using: &rng) < 3 }
        case "gaps-65-127-129":
            var held: [UInt64] = []
            var cursor = span.start.raw
            for gap: UInt64 in [65, 127, 129, 63, 64, 200] where cursor + gap < span.end.raw {
                cursor += gap
                held.append(cursor)
                cursor += 1
            }
            return held
        case "misaligned":
            // Free stretches the alignment rules out: 8 free frames at 4 mod 16 in the first half,
            // 2 at 1 mod 4 in the second (the aligned-block summary skips them, the stretch bytes do not).
            let middle = span.start.raw + span.count / 2
            return (span.start.raw ..< span.end.raw).filter { frame in
                frame < middle ? (frame % 16 < 4 || frame % 16 >= 12) : (frame % 4 == 0 || frame % 4 == 3)
            }
        default: return []
        }
    }

    @Test(arguments: patterns)
    func everyCountAndAlignmentMatchesFirstFit(pattern: String) throws {
        for usable in [[frames(0x1000, 0x1400)], [frames(0x20_0029, 0x20_0300), frames(0x20_0340, 0x20_0500)]] {
            let fixture = try AllocatorFixture(usable: usable)
            var model = FrameAllocatorModel(span: fixture.allocator.span, usable: usable, reserved: [])
            // Hold the pattern: allocate single frames until each held frame is reached, then free
            // the ones not held (single frames come lowest first, so this is exact).
            let held = Set(
                heldFrames(pattern, in: fixture.allocator.span).filter { frame in
                    usable.contains { $0.contains(FrameNumber(frame)) }
                })
            var taken: [FrameNumber] = []
            while let last = held.max(), taken.last.map({ $0.raw < last }) ?? true {
                taken.append(try fixture.allocator.allocate())
            }
            for frame in taken where !held.contains(frame.raw) { try fixture.allocator.free(frame) }
            for frame in held.sorted() { model.allocate(start: frame, count: 1) }
            #expect(fixture.allocator.statistics.freeFrames == model.freeCount)
            for count: UInt64 in 1 ... 200 {
                for shift: UInt64 in 0 ... 8 {
                    let alignment = UInt64(1) << shift
                    let expected = model.firstFit(count: count, alignment: alignment)
                    let result = try? fixture.allocator.allocate(count: count, alignment: alignment)
                    #expect(result?.raw == expected, "\(pattern) count \(count) alignment \(alignment)")
                    if let result { try fixture.allocator.free(runStartingAt: result, count: count) }
                }
            }
            #expect(fixture.allocator.checkInvariants() == nil)
            #expect(fixture.allocator.statistics.freeFrames == model.freeCount)
        }
    }
}

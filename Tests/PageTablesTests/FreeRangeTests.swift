import MemoryCore
import Testing
@testable import PageTables
import TestSupport

/// The free-range search against a reference model (a set of mapped pages), after random maps.
@Suite struct FreeRangeTests {
    @Test func firstFreeRangeMatchesAModel() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 20 {
            var (_, source, space) = try makeSpace(frames: 1024)
            let base = page(1, 0, 0, 0).raw, pages: UInt64 = 96
            var mapped = Set<UInt64>()
            for _ in 0 ..< Int.random(in: 0 ... 40, using: &generator) {
                let index = UInt64.random(in: 0 ..< pages, using: &generator)
                if mapped.insert(index).inserted {
                    try space.map(
                        VirtualAddress(base + index * frameSize), to: FrameNumber(500 + index), size: .size4KiB,
                        flags: [.present, .user], tableFrames: &source)
                }
            }
            let lower = VirtualAddress(base), end = VirtualAddress(base + pages * frameSize)
            for _ in 0 ..< 30 {
                let count = UInt64.random(in: 1 ... 6, using: &generator), gap = UInt64.random(in: 0 ... 1, using: &generator)
                let from = UInt64.random(in: 0 ..< pages, using: &generator)
                let found = space.firstFreeRange(
                    pageCount: count, from: VirtualAddress(base + from * frameSize), lower: lower, end: end, gapPages: gap)
                // Model: the lowest start >= from whose window (gap clipped at 0) is unmapped and fits.
                var expected: UInt64? = nil
                var start = from
                while start + count + gap <= pages {
                    let window = (start - min(gap, start)) ..< (start + count + gap)
                    if window.allSatisfy({ !mapped.contains($0) }) {
                        expected = start
                        break
                    }
                    start += 1
                }
                #expect(found.map { ($0.raw - base) / frameSize } == expected)
            }
        }
    }

    @Test func firstMappedPageSkipsHoles() throws {
        var (_, source, space) = try makeSpace()
        let target = page(3, 5, 7, 9)
        try space.map(target, to: FrameNumber(77), size: .size4KiB, flags: [.present, .user], tableFrames: &source)
        #expect(space.firstMappedPage(from: page(1, 0, 0, 0), before: page(200, 0, 0, 0)) == target)
        #expect(space.firstMappedPage(from: page(3, 5, 7, 10), before: page(200, 0, 0, 0)) == nil)
    }
}

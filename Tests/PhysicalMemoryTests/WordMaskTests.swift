// The bit tricks the frame allocator relies on, checked against bit-by-bit definitions.
@testable import PhysicalMemory
import TestSupport
import Testing

@Suite struct WordMaskTests {
    func bit(_ low: UInt64, _ high: UInt64, _ position: Int) -> Bool {
        position < 64 ? (low >> UInt64(position)) & 1 == 1 : position < 128 && (high >> UInt64(position - 64)) & 1 == 1
    }

    @Test func bitMaskSelectsExactlyTheRange() {
        for low in 0 ... 64 {
            for high in low ... 64 {
                let mask = bitMask(from: low, to: high)
                for position in 0 ..< 64 { #expect(((mask >> UInt64(position)) & 1 == 1) == (low ..< high).contains(position)) }
            }
        }
    }

    @Test func alignmentPatternMarksMultiples() {
        for shift in 0 ... 6 {
            let alignment = UInt64(1) << UInt64(shift)
            let pattern = alignmentPattern(alignment)
            for position in 0 ..< 64 { #expect(((pattern >> UInt64(position)) & 1 == 1) == (UInt64(position) % alignment == 0)) }
        }
    }

    @Test func runStartMaskMatchesBruteForce() {
        var rng = SeededGenerator(seed: 0x5EED_0003)
        for trial in 0 ..< 3000 {
            // Dense words make long runs likely; sparse ones test the negatives.
            let low = trial % 3 == 0 ? rng.next() : ~(rng.next() & rng.next() & rng.next())
            let high = trial % 5 == 0 ? ~0 : ~(rng.next() & rng.next())
            let length = Int.random(in: 1 ... 64, using: &rng)
            let mask = runStartMask(low: low, high: high, length: length)
            for start in 0 ..< 64 {
                let expected = (start ..< start + length).allSatisfy { bit(low, high, $0) }
                #expect(((mask >> UInt64(start)) & 1 == 1) == expected, "low \(low) high \(high) length \(length) start \(start)")
            }
        }
        #expect(runStartMask(low: ~0, high: 0, length: 64) == 1)
        #expect(runStartMask(low: ~0, high: ~0, length: 64) == ~0)
        #expect(runStartMask(low: 1 << 63, high: 1, length: 2) == 1 << 63)
    }

    @Test func longestRunAndLeadingOnes() {
        #expect(longestRunOfOnes(0) == 0)
        #expect(longestRunOfOnes(~0) == 64)
        #expect(longestRunOfOnes(0b1110_0111_1101) == 5)
        #expect(longestRunOfOnes(1 << 63 | 0b11) == 2)
        #expect(leadingOnes(~0 << 60) == 4)
        #expect(leadingOnes(0) == 0)
        var rng = SeededGenerator(seed: 0x5EED_0004)
        for _ in 0 ..< 500 {
            let word = rng.next() | rng.next()
            var best = 0, current = 0
            for position in 0 ..< 64 {
                current = (word >> UInt64(position)) & 1 == 1 ? current + 1 : 0
                best = max(best, current)
            }
            #expect(longestRunOfOnes(word) == best)
        }
    }
}

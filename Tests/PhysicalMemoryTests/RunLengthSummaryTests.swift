// The run-length summary's byte tricks and its tree of maxima, against byte-by-byte definitions.
@testable import PhysicalMemory
import TestSupport
import Testing

@Suite struct RunLengthSummaryTests {
    func byte(_ word: UInt64, _ index: Int) -> Int { Int((word >> UInt64(index * 8)) & 0xFF) }

    /// A word of 8 random bytes in 0...64 (the values the summary holds).
    func randomBytes(_ rng: inout SeededGenerator) -> UInt64 {
        var word: UInt64 = 0
        for index in 0 ..< 8 { word |= UInt64.random(in: 0 ... 64, using: &rng) << UInt64(index * 8) }
        return word
    }

    @Test func bytewiseComparisonsAndMaximum() {
        var rng = SeededGenerator(seed: 0x5EED_0B17)
        for _ in 0 ..< 3000 {
            let word = randomBytes(&rng), other = randomBytes(&rng)
            let threshold = Int.random(in: 1 ... 64, using: &rng)
            let hits = bytesAtLeast(word, threshold)
            let maximum = bytewiseMaximum(word, other)
            for index in 0 ..< 8 {
                #expect((byte(hits, index) == 0x80) == (byte(word, index) >= threshold))
                #expect(byte(hits, index) & 0x7F == 0)
                #expect(byte(maximum, index) == max(byte(word, index), byte(other, index)))
            }
            #expect(largestByte(word) == (0 ..< 8).map { byte(word, $0) }.max()!)
        }
    }

    /// Random raises and lowers in trees of 1 to 4 levels; after each, every byte checks out and
    /// firstWord(atLeast:from:) agrees with a linear scan for every threshold and a few starts.
    @Test func firstWordMatchesLinearScan() {
        var rng = SeededGenerator(seed: 0x5EED_0B18)
        for leafCount in [1, 7, 8, 9, 64, 65, 600] {
            let geometry = RunLengthGeometry(leafWords: leafCount, firstWord: 3)
            let storage = UnsafeMutableRawPointer.allocate(byteCount: geometry.endWord * 8, alignment: 8)
            defer { storage.deallocate() }
            let words = MetadataWords(binding: storage, count: geometry.endWord)
            var model = [Int](repeating: 0, count: leafCount)
            let summary = RunLengthSummary(words: words, geometry: geometry)
            summary.rebuild { model[$0] }
            for _ in 0 ..< 400 {
                let leaf = Int.random(in: 0 ..< leafCount, using: &rng)
                let value = Bool.random(using: &rng) ? 0 : Int.random(in: 0 ... 64, using: &rng)
                if value > model[leaf] { summary.raise(leaf, to: value) } else { summary.lower(leaf, to: value) }
                model[leaf] = value
                #expect(summary.firstMismatch { model[$0] } == nil)
                for threshold in [1, 2, 7, 8, 33, 64] {
                    let from = Int.random(in: 0 ..< leafCount, using: &rng)
                    let expected = (from ..< leafCount).first { model[$0] >= threshold }
                    #expect(summary.firstWord(atLeast: threshold, from: from) == expected)
                }
            }
        }
    }

    /// The search-start table: after random raises and lowers, a search from the table finds what
    /// a linear scan from word 0 finds, the table keeps its rule (checked by firstMismatch), and a
    /// broken entry is reported. Values are drawn from a small set too, so thresholds repeat.
    @Test func searchStartsMatchLinearScan() {
        var rng = SeededGenerator(seed: 0x5EED_0B19)
        for fewValues in [false, true] {
            for leafCount in [1, 9, 65, 600] {
                let geometry = RunLengthGeometry(leafWords: leafCount, firstWord: 2)
                let storage = UnsafeMutableRawPointer.allocate(byteCount: geometry.endWord * 8, alignment: 8)
                defer { storage.deallocate() }
                let words = MetadataWords(binding: storage, count: geometry.endWord)
                let values = fewValues ? [0, 1, 2, 4, 8, 16, 32, 64] : Array(0 ... 64)
                let thresholds = fewValues ? [1, 2, 4, 8, 16, 32, 64] : [1, 2, 3, 5, 8, 13, 33, 64]
                var model = [Int](repeating: 0, count: leafCount)
                let summary = RunLengthSummary(words: words, geometry: geometry)
                summary.rebuild { model[$0] }
                for _ in 0 ..< 300 {
                    let leaf = Int.random(in: 0 ..< leafCount, using: &rng)
                    let value = values.randomElement(using: &rng)!
                    if value > model[leaf] { summary.raise(leaf, to: value) } else { summary.lower(leaf, to: value) }
                    model[leaf] = value
                    let threshold = thresholds.randomElement(using: &rng)!
                    #expect(summary.firstWordFromSearchStart(atLeast: threshold) == model.firstIndex { $0 >= threshold })
                    #expect(summary.firstMismatch { model[$0] } == nil)
                }
                words[geometry.tableWord] = UInt64(leafCount + 1)  // a start past the leaves
                #expect(summary.firstMismatch { model[$0] }! == (level: geometry.levelCount, byte: 0))
            }
        }
    }

    /// longestRunStarting against a frame-by-frame count, for every alignment 1...64.
    @Test func longestRunStartingMatchesBruteForce() {
        var rng = SeededGenerator(seed: 0x5EED_0B1A)
        for _ in 0 ..< 1500 {
            // Sparse, dense and random word pairs, so short, long and capped answers all occur.
            let a = UInt64.random(in: 0 ... .max, using: &rng), b = UInt64.random(in: 0 ... .max, using: &rng)
            let low = [a, a | b, a & b, ~0 as UInt64, 0, a | (a >> 1) | (a >> 2)].randomElement(using: &rng)!
            let high = [b, ~0 as UInt64, 0, ~(a & b)].randomElement(using: &rng)!
            let bit = { (position: Int) -> Bool in
                (position < 64 ? low >> UInt64(position) : high >> UInt64(position - 64)) & 1 == 1
            }
            for shift in 0 ... 6 {
                let alignment = 1 << shift
                var expected = 0
                for start in stride(from: 0, to: 64, by: alignment) {
                    var length = 0
                    while length < 64 && bit(start + length) { length += 1 }
                    expected = max(expected, length)
                }
                #expect(longestRunStarting(at: alignmentPattern(UInt64(alignment)), low: low, high: high) == expected)
            }
        }
    }

    @Test func mismatchIsReported() {
        let geometry = RunLengthGeometry(leafWords: 100, firstWord: 0)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: geometry.endWord * 8, alignment: 8)
        defer { storage.deallocate() }
        let words = MetadataWords(binding: storage, count: geometry.endWord)
        let summary = RunLengthSummary(words: words, geometry: geometry)
        summary.rebuild { $0 % 65 }
        #expect(summary.firstMismatch { $0 % 65 } == nil)
        words[geometry.offset(ofLevel: 1)] ^= 1  // a maximum that no longer matches its children
        #expect(summary.firstMismatch { $0 % 65 }?.level == 1)
        words[geometry.offset(ofLevel: 1)] ^= 1
        words[geometry.firstWord + 12] |= 1 << 56  // byte 103: past the end of level 0
        #expect(summary.firstMismatch { $0 % 65 }! == (level: 0, byte: 103))
    }
}

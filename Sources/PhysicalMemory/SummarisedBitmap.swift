// A hierarchical bitmap: a leaf level of bits plus summary levels, each bit of level k + 1 saying
// "word (that bit's index) of level k is non-zero". The top level is a single word.
//
//   summary[k + 1] bit i  ==  (level[k] word i != 0)        for every level k and word i
//
// Finding the next set bit at or after a position climbs until a masked word is non-zero, then
// descends with trailingZeroBitCount: O(number of levels) = O(log64 n) word reads (4 levels cover
// 64 GiB of frames). Writing a leaf word touches a summary only when the word flips between zero
// and non-zero, and the climb stops at the first level whose word stays non-zero.
//
// The bitmap is a view over metadata words owned by the frame allocator's storage.

/// Where each level lives inside the metadata words. Level 0 is the leaf.
struct SummaryGeometry {
    /// Enough for 2^52 leaf bits (every 4 KiB frame of a 64-bit physical address space).
    static let maximumLevels = 10

    private(set) var levelCount = 0
    private var offsets = InlineArray<10, Int>(repeating: 0)
    private var wordCounts = InlineArray<10, Int>(repeating: 0)

    /// Lays out `leafBits` (>= 1) leaf bits and their summaries from word `firstWord` on.
    init(leafBits: Int, firstWord: Int) {
        var words = (leafBits + 63) / 64
        var offset = firstWord
        while true {
            offsets[levelCount] = offset
            wordCounts[levelCount] = words
            levelCount += 1
            offset += words
            if words <= 1 { break }
            words = (words + 63) / 64
        }
    }

    func offset(ofLevel level: Int) -> Int { offsets[level] }
    func wordCount(ofLevel level: Int) -> Int { wordCounts[level] }

    /// First word after the last level.
    var endWord: Int { offsets[levelCount - 1] + wordCounts[levelCount - 1] }
}

struct SummarisedBitmap {
    let words: MetadataWords
    let geometry: SummaryGeometry

    /// Word `index` of `level`.
    @inline(__always) func word(level: Int, _ index: Int) -> UInt64 {
        words[geometry.offset(ofLevel: level) + index]
    }

    /// Leaf word `index`.
    @inline(__always) func leafWord(_ index: Int) -> UInt64 { word(level: 0, index) }

    var leafWordCount: Int { geometry.wordCount(ofLevel: 0) }

    @inline(__always) func test(_ bit: Int) -> Bool {
        leafWord(bit >> 6) & (1 << UInt64(bit & 63)) != 0
    }

    /// Stores `value` into word `index` of `level` and repairs the summaries above it.
    func store(level: Int, _ index: Int, _ value: UInt64) {
        let position = geometry.offset(ofLevel: level) + index
        let old = words[position]
        words[position] = value
        guard (old == 0) != (value == 0), level + 1 < geometry.levelCount else { return }
        let parentIndex = index >> 6
        let bit: UInt64 = 1 << UInt64(index & 63)
        let parent = word(level: level + 1, parentIndex)
        store(level: level + 1, parentIndex, value == 0 ? parent & ~bit : parent | bit)
    }

    /// Stores leaf word `index`.
    @inline(__always) func storeLeafWord(_ index: Int, _ value: UInt64) { store(level: 0, index, value) }

    func set(_ bit: Int) { storeLeafWord(bit >> 6, leafWord(bit >> 6) | (1 << UInt64(bit & 63))) }
    func clear(_ bit: Int) { storeLeafWord(bit >> 6, leafWord(bit >> 6) & ~(1 << UInt64(bit & 63))) }

    /// The first set bit of `level` at or after `bit`, or nil.
    func findNextSet(level startLevel: Int = 0, from bit: Int) -> Int? {
        var level = startLevel
        var position = bit
        while true {
            guard level < geometry.levelCount else { return nil }
            let index = position >> 6
            guard index < geometry.wordCount(ofLevel: level) else { return nil }
            let masked = word(level: level, index) & (~0 << UInt64(position & 63))
            if masked != 0 {
                position = index * 64 + masked.trailingZeroBitCount
                break
            }
            level += 1
            position = index + 1
        }
        while level > startLevel {
            level -= 1
            let below = word(level: level, position)
            assert(below != 0, "summary bit set over an empty word")
            position = position * 64 + below.trailingZeroBitCount
        }
        return position
    }

    /// The first non-zero leaf word at or after word `index`, or nil.
    func findNextNonzeroLeafWord(from index: Int) -> Int? {
        if geometry.levelCount > 1 { return findNextSet(level: 1, from: index) }
        return index == 0 && leafWord(0) != 0 ? 0 : nil
    }

    /// Recomputes every summary level from the leaf (used once, at initialisation).
    func rebuildSummaries() {
        var level = 1
        while level < geometry.levelCount {
            words.fill(from: geometry.offset(ofLevel: level), count: geometry.wordCount(ofLevel: level), with: 0)
            for index in 0 ..< geometry.wordCount(ofLevel: level - 1) where word(level: level - 1, index) != 0 {
                let position = geometry.offset(ofLevel: level) + (index >> 6)
                words[position] |= 1 << UInt64(index & 63)
            }
            level += 1
        }
    }

    /// The first summary word that disagrees with the level below: (level, word index), or nil.
    func firstSummaryMismatch() -> (level: Int, word: Int)? {
        var level = 1
        while level < geometry.levelCount {
            let below = geometry.wordCount(ofLevel: level - 1)
            for index in 0 ..< geometry.wordCount(ofLevel: level) {
                var expected: UInt64 = 0
                for bit in 0 ..< 64 where index * 64 + bit < below && word(level: level - 1, index * 64 + bit) != 0 {
                    expected |= 1 << UInt64(bit)
                }
                if word(level: level, index) != expected { return (level, index) }
            }
            level += 1
        }
        return nil
    }
}

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

/// Where each level lives inside the metadata words. Level 0 is the leaf; level k + 1 has
/// ceil(words(k) / 64) words and follows level k directly. Only three numbers are stored (the
/// handle is copied into hot functions, so it stays small); per-level offsets are recomputed
/// by a loop of at most `levelCount` steps, which only the rare summary paths need.
@usableFromInline struct SummaryGeometry {
    @usableFromInline let firstWord: Int
    let leafWords: Int
    let levelCount: Int

    /// Lays out `leafBits` leaf bits and their summaries from word `firstWord` on.
    init(leafBits: Int, firstWord: Int) {
        self.firstWord = firstWord
        leafWords = (leafBits + 63) / 64
        var levels = 1
        var words = leafWords
        while words > 1 {
            words = (words + 63) / 64
            levels += 1
        }
        levelCount = levels
    }

    func wordCount(ofLevel level: Int) -> Int {
        var words = leafWords
        for _ in 0 ..< level { words = (words + 63) / 64 }
        return words
    }

    func offset(ofLevel level: Int) -> Int {
        var offset = firstWord
        var words = leafWords
        for _ in 0 ..< level {
            offset += words
            words = (words + 63) / 64
        }
        return offset
    }

    /// First word after the last level.
    var endWord: Int { offset(ofLevel: levelCount - 1) + wordCount(ofLevel: levelCount - 1) }
}

@usableFromInline struct SummarisedBitmap {
    @usableFromInline let words: MetadataWords
    @usableFromInline let geometry: SummaryGeometry

    /// Word `index` of `level`.
    @inline(__always) func word(level: Int, _ index: Int) -> UInt64 {
        words[geometry.offset(ofLevel: level) + index]
    }

    /// Leaf word `index`.
    @inlinable @inline(__always) func leafWord(_ index: Int) -> UInt64 { words[geometry.firstWord &+ index] }

    var leafWordCount: Int { geometry.leafWords }

    @inline(__always) func test(_ bit: Int) -> Bool {
        leafWord(bit >> 6) & (1 << UInt64(bit & 63)) != 0
    }

    /// Stores leaf word `index`; the summaries change only when the word flips between zero and
    /// non-zero (the rare case, kept out of line).
    @inline(__always) func storeLeafWord(_ index: Int, _ value: UInt64) {
        let position = geometry.firstWord + index
        let old = words[position]
        words[position] = value
        if (old == 0) != (value == 0) { repairSummaries(aboveLevel: 0, index, nowNonzero: value != 0) }
    }

    /// Sets or clears the bit for word `index` of `level` in level + 1, climbing while that
    /// word flips too.
    @inline(never) func repairSummaries(aboveLevel level: Int, _ index: Int, nowNonzero: Bool) {
        var level = level
        var index = index
        var nonzero = nowNonzero
        while level + 1 < geometry.levelCount {
            let position = geometry.offset(ofLevel: level + 1) + (index >> 6)
            let bit: UInt64 = 1 << UInt64(index & 63)
            let old = words[position]
            let new = nonzero ? old | bit : old & ~bit
            words[position] = new
            guard (old == 0) != (new == 0) else { return }
            nonzero = new != 0
            index >>= 6
            level += 1
        }
    }

    func set(_ bit: Int) { storeLeafWord(bit >> 6, leafWord(bit >> 6) | (1 << UInt64(bit & 63))) }
    func clear(_ bit: Int) { storeLeafWord(bit >> 6, leafWord(bit >> 6) & ~(1 << UInt64(bit & 63))) }

    /// The first set leaf bit at or after `bit`, or nil. The common case (a set bit in the same
    /// leaf word) is inline; otherwise the summaries are searched.
    @inline(__always) func findNextSet(from bit: Int) -> Int? {
        let index = bit >> 6
        if index < geometry.leafWords {
            let masked = words[geometry.firstWord + index] & (~0 << UInt64(bit & 63))
            if masked != 0 { return index * 64 + masked.trailingZeroBitCount }
        }
        return findNextSet(level: 0, from: bit)
    }

    /// The first set bit of `level` at or after `bit`, or nil: climb until a masked word is
    /// non-zero, then descend with trailingZeroBitCount.
    @inline(never) func findNextSet(level startLevel: Int, from bit: Int) -> Int? {
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
            let below = geometry.offset(ofLevel: level - 1), belowCount = geometry.wordCount(ofLevel: level - 1)
            let here = geometry.offset(ofLevel: level)
            for index in 0 ..< geometry.wordCount(ofLevel: level) {
                var expected: UInt64 = 0
                for bit in 0 ..< min(64, belowCount - index * 64) where words[below + index * 64 + bit] != 0 {
                    expected |= 1 << UInt64(bit)
                }
                if words[here + index] != expected { return (level, index) }
            }
            level += 1
        }
        return nil
    }
}

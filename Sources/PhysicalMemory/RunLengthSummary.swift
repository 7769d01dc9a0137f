// A run-length summary: for every free-bitmap leaf word w, one byte that bounds a length exact(w)
// in 0...64 measured on the free bits, and above the bytes a tree of maxima with fan-out 8. The
// frame allocator keeps seven (FrameAllocator.swift), one per alignment 2^k, k = 0...6:
//
//   exact_k(w) = min(64, the most consecutive free frames counted from a frame of word w whose
//                number is a multiple of 2^k)
//
// (such a stretch may run on into word w + 1; capped at 64, so it never needs more than w + 1).
// k = 0 is the plain run length; a run of n <= 64 frames aligned to 2^k can start in word w
// exactly when exact_k(w) >= n, so the summary of the run's own alignment names its words with
// no false candidate, however the free gaps sit against the alignment.
//
//   exact(w) <= level 0 byte w <= 64
//   level k + 1 byte i == max(level k bytes 8i ..< 8i + 8)        bytes past a level's end are 0
//
// Leaf bytes are upper bounds, not exact: allocating frames only shrinks start(w), so allocation
// leaves the bytes alone (it stays a handful of instructions); freeing raises the bytes of the
// words whose lengths grew, to their exact new value; a search that finds a candidate word
// unable to start its run lowers that word's byte to the exact value before moving on, so each
// stale byte costs one extra visit, paid for by the allocation that made it stale.
//
// Each level packs 8 bytes per metadata word, so one word read answers "which of these 8 has a
// value >= n" with a SWAR compare (values are <= 64 < 128, so the high bit of each byte is free
// for the borrow). Finding the first word at or after w whose byte is >= n climbs until a masked
// word has such a byte, then descends: O(log8 n) word reads, so a run of n <= 64 frames is found
// without visiting the words of a fragmented region that cannot hold it (ahead of this, every
// non-empty word was tested: 3 us for a run of 8 past 256 MiB of gaps of 6 frames).
//
// Writing a byte recomputes its word's maximum and climbs only while a parent byte changes.
//
// After the tree, a table of search starts, one word per threshold n in 1...64 a search may ask for:
//
//   every level 0 byte w < searchStart(n) is < n          (searchStart(n) <= leaf bytes)
//
// A search from the table starts there instead of climbing over the same fragmented words on
// every call, and leaves the word it found (or the end) in the table; a byte that rises from below
// n to n or more pulls searchStart(n) back to its word (only raise's slow path: a byte that stays
// high does not move it). Lowering a byte never breaks the rule.
//
// The summary is a view over metadata words owned by the frame allocator's storage.

/// Where each level of the byte tree lives inside the metadata words (as SummaryGeometry does for
/// the bit hierarchies): level 0 has one byte per leaf word, level k + 1 one byte per word of
/// level k; the top level is a single word. Only three numbers are stored, so the handle is cheap
/// to copy into the hot functions (per-level arrays here cost a 300-byte memcpy per search); the
/// climbs compute each level's place as they go.
struct RunLengthGeometry {
    let firstWord: Int
    let leafBytes: Int
    let levelCount: Int
    /// 3 bits per level k: the unused bytes at the end of its last word (8 * words - bytes), so a
    /// descent recovers each level's byte count from the one above (byteCount(below:level:)).
    private let padding: UInt64
    /// First word after the last level: the search-start table (stored: searches read it).
    let tableWord: Int

    init(leafWords: Int, firstWord: Int) {
        self.firstWord = firstWord
        leafBytes = leafWords
        var levels = 0
        var levelBytes = leafWords
        var padding: UInt64 = 0
        while levelBytes > 0 {
            let words = Self.wordCount(bytes: levelBytes)
            padding |= UInt64(words * 8 - levelBytes) << UInt64(3 * levels)
            levels += 1
            if words <= 1 { break }
            levelBytes = words
        }
        precondition(levels <= 21, "run-length tree too deep")  // 21 levels of 3 bits: 8^20 leaf words
        levelCount = levels
        self.padding = padding
        tableWord = firstWord + Self.treeWords(leafBytes: leafWords)
    }

    /// The byte count of `level`, given `bytesAbove`, the byte count of level + 1 (which is the
    /// number of words of `level`).
    @inline(__always) func byteCount(below bytesAbove: Int, level: Int) -> Int {
        bytesAbove * 8 - Int(truncatingIfNeeded: (padding >> UInt64(3 * level)) & 7)
    }

    /// Words of every level of a tree over `leafBytes` leaf bytes.
    private static func treeWords(leafBytes: Int) -> Int {
        var total = 0
        var bytes = leafBytes
        while bytes > 0 {
            let words = wordCount(bytes: bytes)
            total += words
            if words <= 1 { break }
            bytes = words
        }
        return total
    }

    /// Words holding `bytes` bytes; also the byte count of the level above.
    @inline(__always) static func wordCount(bytes: Int) -> Int { (bytes + 7) >> 3 }

    /// Bytes in `level` (the number of words of the level below, or the leaf words for level 0).
    func byteCount(ofLevel level: Int) -> Int {
        var bytes = leafBytes
        for _ in 0 ..< level { bytes = Self.wordCount(bytes: bytes) }
        return bytes
    }

    func wordCount(ofLevel level: Int) -> Int { Self.wordCount(bytes: byteCount(ofLevel: level)) }

    func offset(ofLevel level: Int) -> Int {
        var offset = firstWord
        var bytes = leafBytes
        for _ in 0 ..< level {
            bytes = Self.wordCount(bytes: bytes)
            offset += bytes
        }
        return offset
    }

    /// The same shape `words` further on (the summaries of the seven alignments lie one after
    /// another).
    init(_ other: RunLengthGeometry, shiftedBy words: Int) {
        firstWord = other.firstWord + words
        leafBytes = other.leafBytes
        levelCount = other.levelCount
        padding = other.padding
        tableWord = other.tableWord + words
    }

    /// Entries of the search-start table (none without a tree): thresholds 1...64.
    var tableEntries: Int { levelCount == 0 ? 0 : 64 }

    /// The table entry of threshold n (1...64).
    @inline(__always) func tableIndex(ofThreshold threshold: Int) -> Int { threshold - 1 }

    /// The threshold of table entry `index`.
    func threshold(ofTableIndex index: Int) -> Int { index + 1 }

    /// First word after the summary (tree and table).
    var endWord: Int { tableWord + tableEntries }
}

/// Bytes of 0x01 and 0x80: the SWAR constants.
private let lowBitOfEachByte: UInt64 = 0x0101_0101_0101_0101
private let highBitOfEachByte: UInt64 = 0x8080_8080_8080_8080

/// The high bit of each byte where `a`'s byte >= `b`'s byte (every byte < 128, so the borrow of
/// one byte's subtraction never reaches the next).
@inline(__always) func bytewiseAtLeast(_ a: UInt64, _ b: UInt64) -> UInt64 {
    ((a | highBitOfEachByte) &- b) & highBitOfEachByte
}

/// The high bit of each byte of `word` whose value is >= `threshold` (bytes and threshold < 128).
@inline(__always) func bytesAtLeast(_ word: UInt64, _ threshold: Int) -> UInt64 {
    bytewiseAtLeast(word, UInt64(threshold) &* lowBitOfEachByte)
}

/// The byte-wise maximum of `a` and `b` (bytes < 128).
@inline(__always) func bytewiseMaximum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let takeA = (bytewiseAtLeast(a, b) >> 7) &* 0xFF
    return (a & takeA) | (b & ~takeA)
}

/// The largest byte of `word` (bytes < 128): halve the word three times.
@inline(__always) func largestByte(_ word: UInt64) -> Int {
    let half = bytewiseMaximum(word, word >> 32)
    let quarter = bytewiseMaximum(half, half >> 16)
    return Int(bytewiseMaximum(quarter, quarter >> 8) & 0xFF)
}

struct RunLengthSummary {
    let words: MetadataWords
    let geometry: RunLengthGeometry

    /// Byte `index` of `level`.
    @inline(__always) func value(level: Int, _ index: Int) -> Int {
        Int(truncatingIfNeeded: words[geometry.offset(ofLevel: level) + (index >> 3)] >> UInt64((index & 7) * 8)) & 0xFF
    }

    /// Raises leaf word `leafWord`'s byte to `value` if it is lower, and every maximum above it.
    @inline(__always) func raise(_ leafWord: Int, to value: Int) {
        let shift = UInt64((leafWord & 7) * 8)
        let old = words[geometry.firstWord + (leafWord >> 3)]
        guard Int(truncatingIfNeeded: old >> shift) & 0xFF < value else { return }  // the common case
        raiseAbove(leafWord, to: value)
    }

    /// raise's climb, out of line: level 0 byte `leafWord` is below `value`.
    @inline(never) private func raiseAbove(_ leafWord: Int, to value: Int) {
        pullSearchStarts(to: leafWord, from: leafValue(leafWord), to: value)
        var position = leafWord
        var offset = geometry.firstWord
        var bytes = geometry.leafBytes
        for _ in 0 ..< geometry.levelCount {
            let wordIndex = offset + (position >> 3)
            let shift = UInt64((position & 7) * 8)
            let old = words[wordIndex]
            guard Int(truncatingIfNeeded: old >> shift) & 0xFF < value else { return }
            words[wordIndex] = (old & ~(0xFF << shift)) | (UInt64(value) << shift)
            position >>= 3
            bytes = RunLengthGeometry.wordCount(bytes: bytes)
            offset += bytes
        }
    }

    /// Leaf byte `leafWord` rises from `old` to `new`: every threshold n in (old, new] whose
    /// search start lies past the word now starts at it.
    private func pullSearchStarts(to leafWord: Int, from old: Int, to new: Int) {
        var threshold = old + 1
        while threshold <= new {
            let slot = geometry.tableWord + geometry.tableIndex(ofThreshold: threshold)
            if words[slot] > UInt64(leafWord) { words[slot] = UInt64(leafWord) }
            threshold += 1
        }
    }

    /// The first leaf word whose byte is >= threshold (1...64), searched from the table's start
    /// for that threshold, which then remembers the word found (or the end, when there is none).
    @inline(__always) func firstWordFromSearchStart(atLeast threshold: Int) -> Int? {
        let slot = geometry.tableWord + geometry.tableIndex(ofThreshold: threshold)
        let found = nextWord(atLeast: threshold, from: Int(truncatingIfNeeded: words[slot]))
        words[slot] = UInt64(found ?? geometry.leafBytes)
        return found
    }

    /// Level 0 byte `leafWord`.
    @inline(__always) func leafValue(_ leafWord: Int) -> Int {
        Int(truncatingIfNeeded: words[geometry.firstWord + (leafWord >> 3)] >> UInt64((leafWord & 7) * 8)) & 0xFF
    }

    /// The first leaf word at or after `leafWord` whose byte is >= threshold: the word itself with
    /// one byte read (the common case right after a candidate), else a climb (firstWord).
    @inline(__always) func nextWord(atLeast threshold: Int, from leafWord: Int) -> Int? {
        if leafWord >= 0 && leafWord < geometry.leafBytes && leafValue(leafWord) >= threshold { return leafWord }
        return firstWord(atLeast: threshold, from: leafWord)
    }

    /// Lowers leaf word `leafWord`'s byte to `exact` (its true start value), repairing the maxima.
    func lower(_ leafWord: Int, to exact: Int) {
        let position = geometry.firstWord + (leafWord >> 3)
        let shift = UInt64((leafWord & 7) * 8)
        let old = words[position]
        let new = (old & ~(0xFF << shift)) | (UInt64(exact) << shift)
        guard new != old else { return }
        words[position] = new
        repairMaxima(aboveLevel: 0, word: leafWord >> 3)
    }

    /// Recomputes the parent byte of word `word` of `level`, climbing while a parent changes.
    @inline(never) func repairMaxima(aboveLevel level: Int, word: Int) {
        var level = level
        var word = word
        var offset = geometry.offset(ofLevel: level)
        var bytes = geometry.byteCount(ofLevel: level)
        while level + 1 < geometry.levelCount {
            let largest = largestByte(words[offset + word])
            bytes = RunLengthGeometry.wordCount(bytes: bytes)
            offset += bytes
            let position = offset + (word >> 3)
            let shift = UInt64((word & 7) * 8)
            let old = words[position]
            let new = (old & ~(0xFF << shift)) | (UInt64(largest) << shift)
            guard new != old else { return }
            words[position] = new
            word >>= 3
            level += 1
        }
    }

    /// The first leaf word at or after `leafWord` whose start(w) >= `threshold` (1...64), or nil.
    @inline(never) func firstWord(atLeast threshold: Int, from leafWord: Int) -> Int? {
        var level = 0
        var position = leafWord
        var offset = geometry.firstWord
        var bytes = geometry.leafBytes
        while true {
            guard level < geometry.levelCount, position < bytes else { return nil }
            let word = words[offset + (position >> 3)]
            let hits = bytesAtLeast(word, threshold) & (~0 << UInt64((position & 7) * 8))
            if hits != 0 {
                position = (position & ~7) + hits.trailingZeroBitCount / 8
                break
            }
            bytes = RunLengthGeometry.wordCount(bytes: bytes)
            offset += bytes
            level += 1
            position = (position >> 3) + 1
        }
        while level > 0 {
            offset -= bytes  // level - 1 has as many words as this level has bytes
            level -= 1
            bytes = geometry.byteCount(below: bytes, level: level)
            let hits = bytesAtLeast(words[offset + position], threshold)
            assert(hits != 0, "run-length maximum over no such byte")
            position = position * 8 + hits.trailingZeroBitCount / 8
        }
        return position
    }

    /// Sets every byte from `start` (exact; used once, at initialisation).
    func rebuild(_ start: (Int) -> Int) {
        guard geometry.levelCount > 0 else { return }
        words.fill(from: geometry.firstWord, count: geometry.endWord - geometry.firstWord, with: 0)
        for leafWord in 0 ..< geometry.leafBytes {
            words[geometry.firstWord + (leafWord >> 3)] |= UInt64(start(leafWord)) << UInt64((leafWord & 7) * 8)
        }
        for level in 1 ..< max(geometry.levelCount, 1) {
            for index in 0 ..< geometry.byteCount(ofLevel: level) {
                let largest = largestByte(words[geometry.offset(ofLevel: level - 1) + index])
                words[geometry.offset(ofLevel: level) + (index >> 3)] |= UInt64(largest) << UInt64((index & 7) * 8)
            }
        }
    }

    /// The first byte below `start` or above 64 (level 0), or unequal to the maximum of its
    /// children (levels above), or a non-zero byte past a level's end: (level, byte index); else
    /// the first broken search-start entry: (levelCount, entry index); or nil.
    func firstMismatch(_ start: (Int) -> Int) -> (level: Int, byte: Int)? {
        guard geometry.levelCount > 0 else { return nil }
        var offset = geometry.firstWord, bytes = geometry.leafBytes, offsetBelow = 0
        for level in 0 ..< geometry.levelCount {
            let levelWords = RunLengthGeometry.wordCount(bytes: bytes)
            for index in 0 ..< levelWords * 8 {
                let recorded = Int(truncatingIfNeeded: words[offset + (index >> 3)] >> UInt64((index & 7) * 8)) & 0xFF
                if index >= bytes {
                    if recorded != 0 { return (level, index) }
                } else if level == 0 {
                    if recorded < start(index) || recorded > 64 { return (level, index) }
                } else if recorded != largestByte(words[offsetBelow + index]) {
                    return (level, index)
                }
            }
            offsetBelow = offset
            offset += levelWords
            bytes = levelWords
        }
        return firstSearchStartMismatch().map { (geometry.levelCount, $0) }
    }

    /// The first search-start entry past the leaf bytes or past a leaf byte >= its threshold.
    /// Called once the tree checked out (leaf bytes <= 64). The first leaf byte >= n, for every n
    /// at once, comes from one pass over the leaf bytes with a running maximum (the same answers as
    /// firstWord(atLeast: n, from: 0), without 64 tree searches per check: the model tests call
    /// the checker after every operation).
    private func firstSearchStartMismatch() -> Int? {
        guard geometry.tableEntries > 0 else { return nil }
        var firstAtLeast = InlineArray<65, Int>(repeating: geometry.leafBytes)  // [n]: threshold n
        var reached = 0
        var index = 0
        while index < geometry.leafBytes && reached < 64 {
            let byte = Int(truncatingIfNeeded: words[geometry.firstWord + (index >> 3)] >> UInt64((index & 7) * 8)) & 0xFF
            while reached < min(byte, 64) {
                reached += 1
                firstAtLeast[reached] = index
            }
            index += 1
        }
        for entry in 0 ..< geometry.tableEntries {
            let threshold = geometry.threshold(ofTableIndex: entry)
            if words[geometry.tableWord + entry] > UInt64(firstAtLeast[threshold]) { return entry }
        }
        return nil
    }
}

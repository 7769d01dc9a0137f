// Finding `count` contiguous free frames starting at a multiple of `alignment`.
//
// All searches start at the hint (no free frame lies below it) and work in bit indices; frame
// alignment is applied in frame numbers (bit i is frame base + i, base a multiple of 64). Two
// strategies, each skipping empty words through a summary hierarchy rather than walking frames:
//
// 1. Short runs, count < 128 (except count >= 64 with alignment >= 64): the run-length summary
//    of the run's alignment names the next leaf word w where a free stretch of min(count, 64)
//    frames starts at a multiple of the alignment, so words that cannot start the run are
//    skipped in O(log8 n) word reads, however fragmented the memory and however its gaps sit
//    against the alignment (and the first climb of a search starts where the last search for
//    that threshold ended: the summaries' search-start tables);
//    `runStartMask` then yields every in-word position p where the run fits:
//      count <= 64:  R_count(p) over the word pair (w, w + 1)
//      count > 64:   R_64(p) over (w, w + 1)  AND  R_(count - 64)(p) over (w + 1, w + 2)
//    ANDed with the positions the alignment allows, O(log count) word operations. A candidate
//    fails only when its byte was stale (allocations leave bytes high: it is lowered to the exact
//    value here), or when count > 64 and the stretch stops short: the search goes on from the
//    next word.
// 2. Long runs, count >= 128, or count >= 64 with alignment >= 64: any such run fully contains
//    the first leaf word that starts inside it (64 * ceil(s / 64) + 64 <= s + count). Candidates
//    come from the "entirely free word" hierarchy: for the next full word j, the run may start as
//    early as the free frames just below j allow (aligned up); it is then verified word by word.
//    A miss moves the search point past the frame that blocked it, so the search ends; a
//    fragmented region without a free word is crossed in O(log64 n) summary reads.
import MemoryCore

extension FrameAllocator {
    /// The bit index of a suitable run, or nil. Preconditions: 1 <= count <= span size,
    /// alignment a power of two.
    func findFreeRun(count: Int, alignment: UInt64) -> Int? {
        if count >= 128 || (count >= 64 && alignment >= 64) {
            return findRunThroughFullWords(count: count, alignment: alignment)
        }
        return findShortRun(count: count, alignment: alignment)
    }

    /// Strategy 1 (count < 128): candidate words come from the run-length summary of the run's
    /// alignment (2^k, k <= 6; larger alignments use 64 and step over words by `wordStride`).
    private func findShortRun(count: Int, alignment: UInt64) -> Int? {
        let allowedStarts = alignment <= 64 ? alignmentPattern(alignment) : 1
        let wordStride = alignment <= 64 ? 1 : alignment / 64
        let shift = min(alignment.trailingZeroBitCount, 6)
        let summary = runLengths(alignmentShift: shift)
        let stretch = min(count, 64)
        guard var word = summary.firstWordFromSearchStart(atLeast: stretch) else { return nil }
        while true {
            if wordStride > 1 {
                guard let aligned = alignedWord(atOrAfter: word, stride: wordStride) else { return nil }
                if aligned != word {
                    guard let next = summary.nextWord(atLeast: stretch, from: aligned) else { return nil }
                    word = next
                    continue
                }
            }
            let starts = runStartsInWord(word, freeBits.leafWord(word), count: count) & allowedStarts
            if starts != 0 { return word * 64 + starts.trailingZeroBitCount }
            summary.lower(word, to: longestFreeStretchStarting(inWord: word, alignmentShift: shift))  // it was stale
            guard let next = summary.nextWord(atLeast: stretch, from: word + 1) else { return nil }
            word = next
        }
    }

    /// Strategy 2 (count >= 128, or count >= 64 aligned to >= 64).
    private func findRunThroughFullWords(count: Int, alignment: UInt64) -> Int? {
        var from = hint
        while true {
            guard let full = fullWordBits.findNextSet(from: (from + 63) >> 6) else { return nil }
            let freeBelow = full > 0 ? leadingOnes(freeBits.leafWord(full - 1)) : 0
            guard let start = alignedIndex(atOrAfter: max(full * 64 - freeBelow, from), alignment) else { return nil }
            if start > full * 64 {
                from = start
                continue
            }
            let blocked = firstNonFree(from: start, limit: start + count)
            if blocked == start + count { return start }
            from = blocked + 1
        }
    }

    /// Positions in leaf word `word` (whose bits are `bits`) where `count` (1...127) free frames
    /// start. Words past the bitmap read as 0 (not free).
    @inline(__always) private func runStartsInWord(_ word: Int, _ bits: UInt64, count: Int) -> UInt64 {
        let next = word + 1 < layout.leafWords ? freeBits.leafWord(word + 1) : 0
        if count <= 64 { return runStartMask(low: bits, high: next, length: count) }
        let afterNext = word + 2 < layout.leafWords ? freeBits.leafWord(word + 2) : 0
        return runStartMask(low: bits, high: next, length: 64) & runStartMask(low: next, high: afterNext, length: count - 64)
    }

    /// The first index in [start, limit) whose frame is not free, or `limit` if all are free.
    /// Indices past the bitmap count as not free.
    func firstNonFree(from start: Int, limit: Int) -> Int {
        let end = min(limit, layout.bitCount)
        var position = start
        while position < end {
            let offset = position & 63
            let notFree = ~freeBits.leafWord(position >> 6) >> UInt64(offset)
            let free = notFree.trailingZeroBitCount
            if free < 64 - offset { return min(position + free, end) }
            position += 64 - offset
        }
        return end
    }

    /// The lowest index >= `index` whose frame number is a multiple of `alignment`, if inside
    /// the bitmap.
    func alignedIndex(atOrAfter index: Int, _ alignment: UInt64) -> Int? {
        guard let aligned = alignUp(layout.base.raw + UInt64(index), to: alignment) else { return nil }
        let result = aligned - layout.base.raw
        return result < UInt64(layout.bitCount) ? Int(result) : nil
    }

    /// The lowest leaf word >= `word` whose first frame is a multiple of 64 * stride, if any.
    private func alignedWord(atOrAfter word: Int, stride: UInt64) -> Int? {
        let baseWord = layout.base.raw / 64
        guard let aligned = alignUp(baseWord + UInt64(word), to: stride) else { return nil }
        let result = aligned - baseWord
        return result < UInt64(layout.leafWords) ? Int(result) : nil
    }
}

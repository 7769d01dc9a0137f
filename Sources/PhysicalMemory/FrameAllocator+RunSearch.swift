// Finding `count` contiguous free frames starting at a multiple of `alignment`.
//
// All searches start at the hint (no free frame lies below it) and work in bit indices; frame
// alignment is applied in frame numbers (bit i is frame base + i, base a multiple of 64). Three
// strategies, each skipping empty words through a summary hierarchy rather than walking frames:
//
// 1. count <= 64 (except count == 64 with alignment >= 64): for every leaf word w with a free
//    bit, `runStartMask` over the pair (w, w + 1) yields every in-word position where `count`
//    free frames start, ANDed with the positions allowed by the alignment. O(log count) per word,
//    so a fragmented region costs one mask per 64 frames; empty words are skipped by summary.
// 2. count >= 128, or count >= 64 with alignment >= 64: any such run fully contains the first
//    leaf word that starts inside it (64 * ceil(s / 64) + 64 <= s + count). So candidates come
//    from the "entirely free word" hierarchy: for the next full word j, the run may start as
//    early as the free frames just below it allow; it is then verified word by word.
// 3. 64 < count < 128 with alignment < 64: from the next free frame, aligned, measure the free
//    stretch word by word; on a miss, continue after the frame that blocked it.
// Each miss in 2 and 3 moves the search point past a non-free frame, so the search ends.
import MemoryCore

extension FrameAllocator {
    /// The bit index of a suitable run, or nil. Preconditions: 1 <= count <= span size,
    /// alignment a power of two.
    func findFreeRun(count: Int, alignment: UInt64) -> Int? {
        if count <= 64 && !(count == 64 && alignment >= 64) {
            return findShortRun(count: count, alignment: alignment)
        }
        if count >= 128 || alignment >= 64 {
            return findRunThroughFullWords(count: count, alignment: alignment)
        }
        return findRunThroughFreeFrames(count: count, alignment: alignment)
    }

    /// Strategy 1 (count <= 64). Non-empty words are examined in order; the summaries are
    /// consulted only to jump over empty words (a linear step is cheaper while words have bits).
    private func findShortRun(count: Int, alignment: UInt64) -> Int? {
        let allowedStarts = alignment <= 64 ? alignmentPattern(alignment) : 1
        let wordStride = alignment <= 64 ? 1 : alignment / 64
        var word = hint >> 6
        while word < layout.leafWords {
            let bits = freeBits.leafWord(word)
            if bits == 0 {
                guard let next = freeBits.findNextNonzeroLeafWord(from: word + 1) else { return nil }
                word = next
                continue
            }
            if wordStride > 1 {
                guard let aligned = alignedWord(atOrAfter: word, stride: wordStride) else { return nil }
                if aligned != word {
                    word = aligned
                    continue
                }
            }
            let next = word + 1 < layout.leafWords ? freeBits.leafWord(word + 1) : 0
            let starts = runStartMask(low: bits, high: next, length: count) & allowedStarts
            if starts != 0 { return word * 64 + starts.trailingZeroBitCount }
            word += 1
        }
        return nil
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

    /// Strategy 3 (64 < count < 128, alignment < 64).
    private func findRunThroughFreeFrames(count: Int, alignment: UInt64) -> Int? {
        var from = hint
        while true {
            guard let free = freeBits.findNextSet(from: from),
                  let start = alignedIndex(atOrAfter: free, alignment) else { return nil }
            if start != free {
                from = start
                continue
            }
            let blocked = firstNonFree(from: start, limit: start + count)
            if blocked == start + count { return start }
            from = blocked + 1
        }
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

// `checkInvariants()`: a full walk of the frame allocator's metadata, reporting the first broken
// invariant (the list in FrameAllocator.swift's opening comment) as a value instead of trapping.
// O(n / 64) word operations: tests call it after every operation on small spans; a debug kernel
// can call it at checkpoints.
import MemoryCore

extension FrameAllocator {
    public func checkInvariants() -> FrameAllocatorInvariantViolation? {
        if words.count == 0 { return nil }  // the empty allocator (init()) has no metadata at all
        if let violation = firstRecentViolation() { return violation }
        if let violation = firstLeafViolation() { return violation }
        if let violation = firstSummaryViolation() { return violation }
        if let violation = firstCountViolation() { return violation }
        return firstHintViolation()
    }

    /// The frame of the lowest set bit of `bits` in leaf word `word`.
    private func frame(ofLowestBit bits: UInt64, inWord word: Int) -> FrameNumber {
        frame(at: word * 64 + bits.trailingZeroBitCount)
    }

    /// The leaf-bit mask of frames inside the span, for leaf word `word`.
    private func spanMask(ofWord word: Int) -> UInt64 {
        let low = max(index(of: span.start) - word * 64, 0)
        let high = min(index(of: span.end) - word * 64, 64)
        return low < high ? bitMask(from: low, to: high) : 0
    }

    private func firstLeafViolation() -> FrameAllocatorInvariantViolation? {
        var previousAllocatedTop: UInt64 = 0
        for word in 0 ..< layout.leafWords {
            let free = freeBits.leafWord(word), managed = managedWord(word)
            let reserved = reservedWord(word), starts = startsWord(word)
            let allocated = managed & ~free & ~recentMask(ofWord: word)  // stacked frames are free
            let outside = (free | managed | reserved | starts) & ~spanMask(ofWord: word)
            if outside != 0 { return .bitOutsideSpan(frame(ofLowestBit: outside, inWord: word)) }
            if free & ~managed != 0 { return .freeFrameNotManaged(frame(ofLowestBit: free & ~managed, inWord: word)) }
            if managed & reserved != 0 { return .managedFrameReserved(frame(ofLowestBit: managed & reserved, inWord: word)) }
            if starts & ~allocated != 0 { return .runStartNotAllocated(frame(ofLowestBit: starts & ~allocated, inWord: word)) }
            let orphans = allocated & ~starts & ~((allocated << 1) | previousAllocatedTop)
            if orphans != 0 { return .allocatedFrameWithoutRun(frame(ofLowestBit: orphans, inWord: word)) }
            if fullWordBits.test(word) != (free == ~0) { return .fullWordBitMismatch(word: word) }
            previousAllocatedTop = allocated >> 63
        }
        let fullLeaf = layout.fullWords.offset(ofLevel: 0)
        let fullLeafWords = layout.fullWords.wordCount(ofLevel: 0)
        if layout.leafWords & 63 != 0, words[fullLeaf + fullLeafWords - 1] >> UInt64(layout.leafWords & 63) != 0 {
            return .fullWordBitMismatch(word: layout.leafWords)
        }
        return nil
    }

    private func firstSummaryViolation() -> FrameAllocatorInvariantViolation? {
        if let bad = freeBits.firstSummaryMismatch() { return .summaryMismatch(bitmap: 0, level: bad.level, word: bad.word) }
        if let bad = fullWordBits.firstSummaryMismatch() { return .summaryMismatch(bitmap: 1, level: bad.level, word: bad.word) }
        if let bad = runLengths.firstMismatch(longestFreeStretchStarting(inWord:)) {
            return .runLengthMismatch(level: bad.level, byte: bad.byte)
        }
        for shift in 1 ... 6 {
            let exact = { (word: Int) in longestFreeStretchStarting(inWord: word, alignmentShift: shift) }
            if let bad = runLengths(alignmentShift: shift).firstMismatch(exact) {
                return .alignedRunLengthMismatch(alignment: 1 << shift, level: bad.level, byte: bad.byte)
            }
        }
        return nil
    }

    private func firstCountViolation() -> FrameAllocatorInvariantViolation? {
        var free: UInt64 = 0, managed: UInt64 = 0, reserved: UInt64 = 0
        for word in 0 ..< layout.leafWords {
            free += UInt64(freeBits.leafWord(word).nonzeroBitCount)
            managed += UInt64(managedWord(word).nonzeroBitCount)
            reserved += UInt64(reservedWord(word).nonzeroBitCount)
        }
        free += UInt64(recentCount)
        if free != freeCount { return .freeCountMismatch(recorded: freeCount, counted: free) }
        if managed != totalFrames { return .managedCountMismatch(recorded: totalFrames, counted: managed) }
        if reserved != reservedFrames { return .reservedCountMismatch(recorded: reservedFrames, counted: reserved) }
        return nil
    }

    /// The recent stack (FrameAllocator+RecentFrames.swift): in bounds, each entry a distinct
    /// managed, unreserved frame of the span with neither a free bit nor a start bit.
    private func firstRecentViolation() -> FrameAllocatorInvariantViolation? {
        let count = words[FrameAllocatorLayout.recentCountWord]
        guard count <= UInt64(Self.recentCapacity) else { return .recentCountOutOfRange(count) }
        for slot in 0 ..< Int(count) {
            let index = recentEntry(slot)
            guard index >= 0, index < layout.bitCount else {
                return .recentFrameInvalid(FrameNumber(layout.base.raw &+ UInt64(index)))
            }
            let word = index >> 6, bit: UInt64 = 1 << UInt64(index & 63)
            let valid =
                spanMask(ofWord: word) & managedWord(word) & ~reservedWord(word) & ~freeBits.leafWord(word) & ~startsWord(word)
            let duplicate = (0 ..< slot).contains { recentEntry($0) == index }
            if valid & bit == 0 || duplicate { return .recentFrameInvalid(frame(at: index)) }
        }
        return nil
    }

    private func firstHintViolation() -> FrameAllocatorInvariantViolation? {
        let hintValue = words[FrameAllocatorLayout.hintWord]
        guard hintValue <= UInt64(layout.bitCount) else { return .hintOutOfRange(hintValue) }
        if let lowest = freeBits.findNextSet(from: 0), lowest < hint { return .freeFrameBelowHint(frame(at: lowest)) }
        return nil
    }
}

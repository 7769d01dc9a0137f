// The page-frame allocator: a hierarchical bitmap over every frame of the span.
//
// Algorithm. One bit per frame says "free"; summary levels above it say "this word has a free
// bit", so the lowest free frame at or after the search hint is found in O(log64 n) word reads.
// A second, small hierarchy marks leaf words that are entirely free, so large aligned runs jump
// straight to candidate words. Shorter runs (< 128 frames) are found through a byte per leaf word
// and alignment 2^k, k = 0...6 (the longest free stretch starting in it at a multiple of 2^k),
// each under a tree of maxima, which skips every word that cannot start the run however its gaps
// sit against the alignment, then tested two or three words at a time with shift-and masks (see
// RunLengthSummary.swift, WordMasks.swift and FrameAllocator+RunSearch.swift). A third
// bitmap marks where each allocation starts, so a free names exactly one allocation and every
// double, partial or straddling free is refused by the bookkeeping itself. In front of it all,
// when the owner asks for it (the kernel does), a stack of up to 64 frames just freed serves the
// next one-frame allocations (FrameAllocator+RecentFrames.swift: Linux's per-CPU page lists).
//
// Invariants (each one is checked by `checkInvariants()`), with A = managed & ~free:
//   free ⊆ managed,  managed ∩ reserved = ∅,  starts ⊆ A
//   every f in A: f ∈ starts or f - 1 ∈ A                     (every allocated frame is in a run)
//   summary bit i of level k + 1 == (word i of level k != 0)  (both hierarchies)
//   fullWord bit w == (free word w == all ones)
//   exact start(w) <= runLength byte w <= 64;  parent byte == max(children)   (RunLengthSummary)
//   the same for the six aligned run lengths (k = 1...6: stretches starting at multiples of 2^k)
//   freeCount == popcount(free) + frames on the recent stack,  totalFrames == popcount(managed)
//   (A excludes the frames on the recent stack; their rules: FrameAllocator+RecentFrames.swift)
//   no free frame below hint                                  (so searches start at the hint)
//   bits of frames outside [span.start, span.end) are 0
//
// Costs: allocate() and free(frame) are O(log64 n) (a find-next-set climb, and summary updates
// only when a word flips between empty and non-empty). allocate(count:alignment:) and
// free(runStartingAt:count:) cost O(count / 64) word operations plus the search, which skips
// empty words through the summaries. Metadata: 168 992 bytes per GiB (FrameAllocatorLayout.swift).
//
// The struct is a handle. Every mutable word (bitmaps, free count, hint) lives in the storage the
// caller handed over, so the methods are non-mutating and copies of the handle are the same
// allocator (like copies of a pointer). The storage must outlive every copy and be used by
// nothing else.
import MemoryCore

public struct FrameAllocator {
    @usableFromInline let layout: FrameAllocatorLayout
    @usableFromInline let words: MetadataWords
    @usableFromInline let freeBits: SummarisedBitmap
    let fullWordBits: SummarisedBitmap
    let runLengths: RunLengthSummary

    /// Frames [span.start, span.end) are described; everything else is `notManaged`.
    public let span: FrameRange
    /// Usable, unreserved frames in the span: the most that can ever be free.
    public let totalFrames: UInt64
    /// Frames of the span inside reservations.
    public let reservedFrames: UInt64
    /// How many freed single frames may wait on the recent stack (0 ... recentCapacity; 0 turns it
    /// off: every allocation is then first fit, the property the model tests check).
    public let recentLimit: Int

    /// Bytes of storage the allocator needs for `span` (0 for an empty span).
    public static func metadataByteCount(managing span: FrameRange) -> UInt64 {
        span.isEmpty ? 0 : FrameAllocatorLayout(span: span).byteCount
    }

    /// An allocator that manages nothing (for a variable that exists before boot sets up the real
    /// one): allocations fail with `.outOfMemory` and frees with `.notManaged`. It owns no storage.
    public init() {
        layout = FrameAllocatorLayout.empty
        span = FrameRange(FrameNumber(0), FrameNumber(0))
        words = MetadataWords.none
        freeBits = SummarisedBitmap(words: words, geometry: layout.free)
        fullWordBits = SummarisedBitmap(words: words, geometry: layout.fullWords)
        runLengths = RunLengthSummary(words: words, geometry: layout.runLengths)
        totalFrames = 0
        reservedFrames = 0
        recentLimit = 0
    }

    /// Sets up the allocator over `storage`. Frames of `usable` become free, except those inside a
    /// reservation (widened to whole frames); everything else in the span is not managed.
    /// - Parameters:
    ///   - span: every frame the allocator may be asked about: lowest usable ..< highest usable end.
    ///   - storage: at least `metadataByteCount(managing: span)` bytes, 8-byte aligned, outside the
    ///     managed frames (or reserved), owned by the allocator from now on.
    ///   - usable: the usable frame ranges (all inside the span).
    ///   - reservations: reservations; those parts inside the span are remembered, so freeing such
    ///     a frame reports `.reserved` rather than `.notManaged`.
    ///   - recentFrames: the recent stack's size (FrameAllocator+RecentFrames.swift), clamped to
    ///     0 ... recentCapacity; the kernel uses recentCapacity, 0 keeps strict first fit.
    public init(
        span: FrameRange, storage: UnsafeMutableRawPointer, storageByteCount: UInt64,
        usable: UsableFrameRanges, reservations: ReservationList, recentFrames: Int = 0
    ) throws(FrameAllocatorSetupError) {
        guard !span.isEmpty, span.start < span.end else { throw .emptySpan }
        let layout = FrameAllocatorLayout(span: span)
        guard storageByteCount >= layout.byteCount else {
            throw .storageTooSmall(required: layout.byteCount, provided: storageByteCount)
        }
        guard Int(bitPattern: storage) & 7 == 0 else { throw .storageMisaligned }
        for index in 0 ..< usable.count where usable[index].start < span.start || usable[index].end > span.end {
            throw .usableRangeOutsideSpan(usable[index])
        }
        self.layout = layout
        self.span = span
        recentLimit = min(max(recentFrames, 0), Self.recentCapacity)
        words = MetadataWords(binding: storage, count: layout.totalWords)
        freeBits = SummarisedBitmap(words: words, geometry: layout.free)
        fullWordBits = SummarisedBitmap(words: words, geometry: layout.fullWords)
        runLengths = RunLengthSummary(words: words, geometry: layout.runLengths)
        words.fill(from: 0, count: layout.totalWords, with: 0)
        (totalFrames, reservedFrames) = Self.markInitialState(words, layout, span, usable, reservations)
        freeBits.rebuildSummaries()
        for word in 0 ..< layout.leafWords where freeBits.leafWord(word) == ~0 {
            words[layout.fullWords.offset(ofLevel: 0) + (word >> 6)] |= 1 << UInt64(word & 63)
        }
        fullWordBits.rebuildSummaries()
        runLengths.rebuild(longestFreeStretchStarting(inWord:))
        for shift in 1 ... 6 {
            runLengths(alignmentShift: shift).rebuild { longestFreeStretchStarting(inWord: $0, alignmentShift: shift) }
        }
        bitmapFreeCount = totalFrames
        hint = freeBits.findNextSet(from: 0) ?? layout.bitCount
    }

    /// Writes the reserved, managed and free leaf bits; returns (managed, reserved) frame counts.
    private static func markInitialState(
        _ words: MetadataWords, _ layout: FrameAllocatorLayout, _ span: FrameRange,
        _ usable: UsableFrameRanges, _ reservations: ReservationList
    ) -> (UInt64, UInt64) {
        for index in 0 ..< reservations.count {
            let frames = reservations[index].range.touchedFrames
            let clipped = FrameRange(max(frames.start, span.start), min(frames.end, span.end))
            if clipped.start < clipped.end { setBits(words, layout.reservedOffset, layout, clipped) }
        }
        for index in 0 ..< usable.count { setBits(words, layout.managedOffset, layout, usable[index]) }
        var managed: UInt64 = 0
        var reserved: UInt64 = 0
        for word in 0 ..< layout.leafWords {
            let reservedWord = words[layout.reservedOffset + word]
            let managedWord = words[layout.managedOffset + word] & ~reservedWord
            words[layout.managedOffset + word] = managedWord
            words[layout.free.offset(ofLevel: 0) + word] = managedWord
            managed += UInt64(managedWord.nonzeroBitCount)
            reserved += UInt64(reservedWord.nonzeroBitCount)
        }
        return (managed, reserved)
    }

    /// ORs 1-bits for `frames` into the per-frame bitmap at word `offset`.
    private static func setBits(_ words: MetadataWords, _ offset: Int, _ layout: FrameAllocatorLayout, _ frames: FrameRange) {
        forEachWord(from: Int(frames.start.raw - layout.base.raw), to: Int(frames.end.raw - layout.base.raw)) { word, mask in
            words[offset + word] |= mask
        }
    }

    // MARK: - Allocation

    /// The lowest free frame, now allocated (a run of one). The recent stack's pop is inlined in
    /// the caller (a pop and a start bit: no call); the bitmap search is not.
    @inlinable @inline(__always)
    public func allocate() throws(FrameAllocatorError) -> FrameNumber {
        if words.count != 0, let index = popRecent() { return frame(at: index) }  // the last frame freed (RecentFrames)
        return try allocateFromBitmaps()
    }

    /// allocate() when the recent stack is empty: the lowest free frame of the bitmaps.
    @usableFromInline func allocateFromBitmaps() throws(FrameAllocatorError) -> FrameNumber {
        guard words.count != 0, let index = freeBits.findNextSet(from: hint) else { throw .outOfMemory }
        markAllocated(from: index, count: 1)
        hint = index + 1
        return frame(at: index)
    }

    /// `count` contiguous free frames whose first frame number is a multiple of `alignment`,
    /// now allocated as one run (free it with `free(runStartingAt:count:)` and the same count).
    public func allocate(count: UInt64, alignment: UInt64) throws(FrameAllocatorError) -> FrameNumber {
        guard count >= 1, count <= span.count else { throw .invalidCount }
        guard isPowerOfTwo(alignment) else { throw .invalidAlignment }
        if count == 1 && alignment == 1 { return try allocate() }
        guard count <= freeCount else { throw .outOfMemory }
        guard let index = findFreeRunIncludingRecent(count: Int(count), alignment: alignment) else { throw .outOfMemory }
        markAllocated(from: index, count: Int(count))
        if index == hint { hint = index + Int(count) }
        return frame(at: index)
    }

    /// findFreeRun, and when it fails with frames on the recent stack, again after draining it.
    private func findFreeRunIncludingRecent(count: Int, alignment: UInt64) -> Int? {
        if let index = findFreeRun(count: count, alignment: alignment) { return index }
        guard recentCount > 0 else { return nil }
        drainRecentFrames()
        return findFreeRun(count: count, alignment: alignment)
    }

    // MARK: - Freeing

    /// Frees a frame allocated by `allocate()` (a run of one). Inlined in the caller: the one-frame
    /// check and the push onto the recent stack; a full stack or a free the check refuses goes
    /// through `free(runStartingAt:count:)`, which validates it again and names the error.
    @inlinable @inline(__always)
    public func free(_ frame: FrameNumber) throws(FrameAllocatorError) {
        if span.contains(frame) && isSingleFrameAllocation(index(of: frame)) && pushRecent(index(of: frame)) { return }
        try free(runStartingAt: frame, count: 1)
    }

    /// Frees the whole run [frame, frame + count), which must be exactly one allocation.
    /// A one-frame free goes onto the recent stack while it has room (RecentFrames).
    public func free(runStartingAt frame: FrameNumber, count: UInt64) throws(FrameAllocatorError) {
        let index: Int
        if span.contains(frame) && isExactAllocationFast(self.index(of: frame), count: count) {
            index = self.index(of: frame)  // the fast check proved it is exactly one allocation
        } else {
            index = try validateRunToFree(frame, count)
        }
        if count == 1 && pushRecent(index) { return }
        markFree(from: index, count: Int(count))
        hint = min(hint, index)
    }

    /// Decode and validate a free: the run's index if it is exactly one allocation, else the
    /// specific error. Reads only.
    private func validateRunToFree(_ frame: FrameNumber, _ count: UInt64) throws(FrameAllocatorError) -> Int {
        guard count >= 1 else { throw .invalidCount }
        guard span.contains(frame) else { throw .notManaged }
        guard count <= span.count else { throw .invalidCount }
        guard frame.raw + count <= span.end.raw else { throw .notManaged }
        let index = index(of: frame)
        switch stateAt(index) {
        case .reserved: throw .reserved
        case .notManaged: throw .notManaged
        case .free: throw .alreadyFree
        case .allocatedInsideRun: throw .runMismatch
        case .allocatedRunStart: break
        }
        guard runIsExactlyOneAllocation(from: index, count: Int(count)) else { throw .runMismatch }
        return index
    }

    /// True when index `index` (inside the span) starts an allocation of exactly one frame: its
    /// start bit is set (so it is allocated, managed RAM) and the next frame is not an allocated
    /// frame without a start bit. The fast path of a one-frame free; validateRunToFree names the
    /// error otherwise.
    @inlinable @inline(__always) func isSingleFrameAllocation(_ index: Int) -> Bool {
        let word = index &>> 6, offset = UInt64(truncatingIfNeeded: index & 63)
        let starts = startsWord(word)
        guard (starts &>> offset) & 1 == 1 else { return false }
        if offset < 63 { return ((allocatedWord(word) & ~starts) &>> (offset &+ 1)) & 1 == 0 }
        return isLastFrameOfWordAlone(index)
    }

    /// isSingleFrameAllocation for the last frame of a word: the next frame is in the next word.
    @usableFromInline func isLastFrameOfWordAlone(_ index: Int) -> Bool {
        index + 1 >= layout.bitCount || stateAt(index + 1) != .allocatedInsideRun
    }

    /// The fast validity check of a free (false sends it to validateRunToFree): one frame, or a
    /// run inside one leaf word.
    @inline(__always) private func isExactAllocationFast(_ index: Int, count: UInt64) -> Bool {
        count == 1 ? isSingleFrameAllocation(index) : isOneWordAllocation(index, count: count)
    }

    /// True when bit indices [index, index + count) (index inside the span) lie in one leaf word
    /// and are exactly one allocation: a start bit at index and none after it inside, every frame
    /// allocated managed RAM, none of them on the recent stack, and the frame after the run not an
    /// allocated frame without a start bit (the allocation would go on). The fast path of a free,
    /// a few word operations; validateRunToFree decides (and names the error) otherwise.
    @inline(__always) private func isOneWordAllocation(_ index: Int, count: UInt64) -> Bool {
        let offset = index & 63
        guard count >= 1, count <= UInt64(64 - offset) else { return false }
        let end = offset + Int(count)
        let word = index >> 6
        let starts = startsWord(word), allocated = allocatedWord(word)
        let mask = bitMask(from: offset, to: end)
        guard starts & mask == 1 << UInt64(offset), mask & ~allocated == 0 else { return false }
        if end < 64 {
            if ((allocated & ~starts) >> UInt64(end)) & 1 != 0 { return false }
        } else if index + Int(count) < layout.bitCount && stateAt(index + Int(count)) == .allocatedInsideRun {
            return false
        }
        // A stacked frame has neither a free bit nor a start bit: inside a longer run it would
        // pass the masks above (a one-frame run's own start bit rules it out).
        return recentCount == 0 || !anyRecent(from: index, to: end - offset + index)
    }

    /// True when frames (start, start + count) are allocated with no start bit, and frame
    /// start + count is not an allocated frame of the same run. Precondition: start is a run start.
    private func runIsExactlyOneAllocation(from start: Int, count: Int) -> Bool {
        var exact = true
        Self.forEachWord(from: start, to: start + count) { word, mask in
            let interior = word == start >> 6 ? mask & ~(1 << UInt64(start & 63)) : mask
            if mask & ~allocatedWord(word) != 0 || startsWord(word) & interior != 0 { exact = false }
        }
        if recentCount > 0 && anyRecent(from: start, to: start + count) { exact = false }  // free, on the stack
        let after = start + count
        if after < layout.bitCount && stateAt(after) == .allocatedInsideRun { exact = false }
        return exact
    }

    // MARK: - Queries

    /// True when `frame` is managed and free.
    public func isFree(_ frame: FrameNumber) -> Bool {
        span.contains(frame) && stateAt(index(of: frame)) == .free
    }

    /// What `frame` is.
    public func state(of frame: FrameNumber) -> FrameState {
        span.contains(frame) ? stateAt(index(of: frame)) : .notManaged
    }

    public var statistics: FrameStatistics {
        FrameStatistics(totalFrames: totalFrames, freeFrames: words.count == 0 ? 0 : freeCount, reservedFrames: reservedFrames)
    }

    /// Bytes of metadata in use (the storage the caller provided may be larger).
    public var metadataBytes: UInt64 { layout.byteCount }

    /// The first `stateBytes` bytes of the metadata hold the allocator's state; the rest is the
    /// run-length summaries, search caches whose upper bounds a search may
    /// tighten even when it fails (so a refused request changes no state byte, but may change a cache byte).
    public var stateBytes: UInt64 { UInt64(layout.runLengths.firstWord) * 8 }

    /// The longest run of consecutive free frames (ignoring alignment). O(n / 64): diagnostics only.
    /// Drains the recent stack first, so its frames count where they lie.
    public func largestFreeRun() -> UInt64 {
        drainRecentFrames()
        var longest = 0
        var current = 0
        for word in 0 ..< layout.leafWords {
            let bits = freeBits.leafWord(word)
            if bits == ~0 {
                current += 64
                continue
            }
            longest = max(longest, current + (~bits).trailingZeroBitCount, longestRunOfOnes(bits))
            current = leadingOnes(bits)
        }
        return UInt64(max(longest, current))
    }
}

// MARK: - Bit-level state (internal)

extension FrameAllocator {
    /// Free frames: those free in the bitmaps and those on the recent stack.
    var freeCount: UInt64 {
        get { bitmapFreeCount + UInt64(recentCount) }
        nonmutating set { bitmapFreeCount = newValue - UInt64(recentCount) }
    }

    /// Free frames in the bitmaps (popcount of the free leaf words): the stack's push and pop
    /// leave it alone, so a recent pair writes one counter, not two.
    var bitmapFreeCount: UInt64 {
        get { words[FrameAllocatorLayout.freeCountWord] }
        nonmutating set { words[FrameAllocatorLayout.freeCountWord] = newValue }
    }

    /// Bit index where searches start; no free frame has a lower index.
    var hint: Int {
        get { Int(words[FrameAllocatorLayout.hintWord]) }
        nonmutating set { words[FrameAllocatorLayout.hintWord] = UInt64(newValue) }
    }

    /// Bit index of `frame` (inside the span: wrapping arithmetic, no overflow check).
    @inlinable @inline(__always) func index(of frame: FrameNumber) -> Int {
        Int(truncatingIfNeeded: frame.raw &- layout.base.raw)
    }
    @inlinable @inline(__always) func frame(at index: Int) -> FrameNumber {
        FrameNumber(layout.base.raw &+ UInt64(truncatingIfNeeded: index))
    }

    @inlinable @inline(__always) func startsWord(_ word: Int) -> UInt64 { words[layout.startsOffset &+ word] }
    @inlinable @inline(__always) func managedWord(_ word: Int) -> UInt64 { words[layout.managedOffset &+ word] }
    @inline(__always) func reservedWord(_ word: Int) -> UInt64 { words[layout.reservedOffset + word] }
    @inlinable @inline(__always) func allocatedWord(_ word: Int) -> UInt64 { managedWord(word) & ~freeBits.leafWord(word) }

    @usableFromInline func stateAt(_ index: Int) -> FrameState {
        let word = index >> 6
        let bit: UInt64 = 1 << UInt64(index & 63)
        if reservedWord(word) & bit != 0 { return .reserved }
        if managedWord(word) & bit == 0 { return .notManaged }
        if freeBits.leafWord(word) & bit != 0 { return .free }
        if startsWord(word) & bit != 0 { return .allocatedRunStart }
        return isRecent(index) ? .free : .allocatedInsideRun
    }

    /// Calls `body(word, mask)` for each word touched by bits [start, end), mask selecting them.
    @inline(__always) static func forEachWord(from start: Int, to end: Int, _ body: (Int, UInt64) -> Void) {
        var position = start
        while position < end {
            let word = position >> 6
            let stop = min(end, (word + 1) * 64)
            body(word, bitMask(from: position & 63, to: stop - word * 64))
            position = stop
        }
    }

    /// Stores free-leaf word `word`, keeping the full-word hierarchy in step (the run lengths are
    /// raised by the callers that free frames: see raiseSummaries).
    @inline(__always) func storeFreeWord(_ word: Int, _ value: UInt64) {
        let wasFull = freeBits.leafWord(word) == ~0
        freeBits.storeLeafWord(word, value)
        if wasFull != (value == ~0) {
            if value == ~0 { fullWordBits.set(word) } else { fullWordBits.clear(word) }
        }
    }

    /// Exact start(word) = min(64, the most consecutive free frames counted from a frame of leaf
    /// word `word`): the longest stretch inside the word, or the one at its top continued by the
    /// free frames at the bottom of word + 1.
    @inline(__always) func longestFreeStretchStarting(inWord word: Int) -> Int {
        let bits = freeBits.leafWord(word)
        let top = leadingOnes(bits)
        guard top > 0 else { return longestRunOfOnes(bits) }
        let next = word + 1 < layout.leafWords ? freeBits.leafWord(word + 1) : 0
        return min(64, max(longestRunOfOnes(bits), top + trailingOnes(next)))
    }

    /// The run-length summary for alignment 2^shift (0...6): the plain one for 0, else one of the
    /// six that follow it in the metadata (same shape, `alignedStride` words apart).
    @inline(__always) func runLengths(alignmentShift shift: Int) -> RunLengthSummary {
        if shift == 0 { return runLengths }
        return RunLengthSummary(
            words: words, geometry: RunLengthGeometry(layout.alignedRunLengths, shiftedBy: (shift - 1) * layout.alignedStride))
    }

    /// Exact start_k(word) for k = shift (1...6): min(64, the most consecutive free frames counted
    /// from a frame of leaf word `word` at a multiple of 2^shift). Bit indices and frame numbers
    /// agree modulo 64, so the alignment is a bit pattern. O(log^2 64): slow paths only.
    func longestFreeStretchStarting(inWord word: Int, alignmentShift shift: Int) -> Int {
        if shift == 0 { return longestFreeStretchStarting(inWord: word) }
        let bits = freeBits.leafWord(word)
        let next = word + 1 < layout.leafWords ? freeBits.leafWord(word + 1) : 0
        return longestRunStarting(at: alignmentPattern(1 << UInt64(shift)), low: bits, high: next)
    }

    /// Marks free frames [start, start + count) allocated as one run.
    func markAllocated(from start: Int, count: Int) {
        if count == 1 { return markSingle(start, free: false) }
        if (start & 63) + count <= 64 {  // one word: no loop
            let word = start >> 6
            storeFreeWord(word, freeBits.leafWord(word) & ~bitMask(from: start & 63, to: (start & 63) + count))
        } else {
            Self.forEachWord(from: start, to: start + count) { word, mask in
                storeFreeWord(word, freeBits.leafWord(word) & ~mask)
            }
        }
        words[layout.startsOffset + (start >> 6)] |= 1 << UInt64(start & 63)
        bitmapFreeCount -= UInt64(count)
    }

    /// The one-frame case of markAllocated / markFree: one leaf word, one start bit.
    @inline(__always) private func markSingle(_ index: Int, free: Bool) {
        let word = index >> 6
        let bit: UInt64 = 1 << UInt64(index & 63)
        let leaf = freeBits.leafWord(word)
        storeFreeWord(word, free ? leaf | bit : leaf & ~bit)
        let startsPosition = layout.startsOffset + word
        words[startsPosition] = free ? words[startsPosition] & ~bit : words[startsPosition] | bit
        bitmapFreeCount = free ? bitmapFreeCount + 1 : bitmapFreeCount - 1
        if free { raiseSummaries(from: index, to: index + 1) }
    }

    /// Marks the run [start, start + count) free again and forgets its start.
    func markFree(from start: Int, count: Int) {
        if count == 1 { return markSingle(start, free: true) }
        if (start & 63) + count <= 64 {  // one word: no loop
            let word = start >> 6
            storeFreeWord(word, freeBits.leafWord(word) | bitMask(from: start & 63, to: (start & 63) + count))
        } else {
            Self.forEachWord(from: start, to: start + count) { word, mask in
                storeFreeWord(word, freeBits.leafWord(word) | mask)
            }
        }
        words[layout.startsOffset + (start >> 6)] &= ~(1 << UInt64(start & 63))
        bitmapFreeCount += UInt64(count)
        raiseSummaries(from: start, to: start + count)
    }

    /// After frames [start, end) became free: raises the run-length bytes (all seven alignments)
    /// of every word with a frame p <= end - 1 whose stretch grew. Those frames lie in the free
    /// stretch [low, high) around the run; frames more than 64 below `start` already counted >= 64
    /// and the cap is 64, so the stretch is only measured up to 64 frames each side. In word w the
    /// new stretch's longest part aligned to 2^k starts at the first multiple of 2^k at or after
    /// max(low, 64w) (every other stretch of the word is unchanged), so each raise is exact.
    @inline(__always) func raiseSummaries(from start: Int, to end: Int) {
        let low = start - freeFramesBelow(start)
        let high = firstNonFree(from: end, limit: end + 64)
        var word = low >> 6
        while word <= (end - 1) >> 6 {
            let from = max(low, word * 64)
            runLengths.raise(word, to: min(64, high - from))
            raiseAlignedRunLengths(word, stretchFrom: from, to: min(high, word * 64 + 64), high: high)
            word += 1
        }
    }

    /// The six aligned bytes of leaf word `word` for the new stretch [from, high): read in place
    /// (they lie `alignedStride` words apart), a summary is built only for a byte that must rise.
    /// `limit` = min(high, end of the word): an aligned start must lie before it.
    @inline(__always) private func raiseAlignedRunLengths(_ word: Int, stretchFrom from: Int, to limit: Int, high: Int) {
        var position = layout.alignedRunLengths.firstWord + (word >> 3)
        let byteShift = UInt64((word & 7) * 8)
        var shift = 1
        while shift <= 6 {
            let mask = (1 << shift) - 1
            let alignedFrom = (from + mask) & ~mask
            guard alignedFrom < limit else { return }  // larger alignments start later still
            let value = min(64, high - alignedFrom)
            if Int(truncatingIfNeeded: words[position] >> byteShift) & 0xFF < value {
                runLengths(alignmentShift: shift).raise(word, to: value)
            }
            position += layout.alignedStride
            shift += 1
        }
    }

    /// How many consecutive frames just below index `index` are free, up to 64.
    @inline(__always) func freeFramesBelow(_ index: Int) -> Int {
        let word = index >> 6, offset = index & 63
        let inWord = offset == 0 ? 0 : min(offset, leadingOnes(freeBits.leafWord(word) << UInt64(64 - offset)))
        guard inWord == offset, word > 0 else { return inWord }
        return min(64, inWord + leadingOnes(freeBits.leafWord(word - 1)))
    }
}

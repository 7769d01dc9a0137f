// Where the frame allocator's metadata lives inside the caller's storage (in 64-bit words).
//
//   word 0                 free frame count
//   word 1                 search hint (bit index; no frame below it is free)
//   word 2, words 3...66   recently freed frames: count, then up to 64 bit indices (a stack)
//   free hierarchy         leaf: 1 bit per frame (1 = free), then summary levels
//   full-word hierarchy    leaf: 1 bit per free-leaf word (1 = all 64 frames free), then summaries
//   run starts             1 bit per frame (1 = an allocation starts here)
//   managed                1 bit per frame (1 = usable, unreserved RAM: may ever be free)
//   reserved               1 bit per frame (1 = inside a reservation)
//   run lengths            1 byte per free-leaf word (longest free stretch starting there, <= 64),
//                          then a tree of maxima, 8 bytes per word, then 64 search-start words
//                          (RunLengthSummary.swift)
//   aligned run lengths    six more of the same, for alignments 2, 4, ..., 64: the longest free
//                          stretch starting there at a multiple of the alignment
//
// Bit i of every per-frame bitmap stands for frame base + i, where base is the span's start
// rounded down to a multiple of 64: word boundaries then fall on 64-aligned frame numbers, so
// alignment tests work on whole words. Bits for frames outside the span are always 0.
//
// Size: 4 bits per frame + 1/64 bit per frame + summaries (1/64 of the level below each), plus
// 1/8 bit per frame + 1/8 of that per level for each of the seven run-length summaries, plus 64
// search starts each: 21 124 words = 168 992 bytes per GiB of span (65 of them the recent stack;
// 6 * 585 + 7 * 64 = 3 958 the aligned summaries and the search starts, +23 % over one summary),
// 0.0157 % of the memory described.
import MemoryCore

@usableFromInline struct FrameAllocatorLayout {
    @usableFromInline static let freeCountWord = 0
    static let hintWord = 1
    @usableFromInline static let recentCountWord = 2
    @usableFromInline static let recentFirstWord = 3
    static let recentCapacity = 64
    static let headerWords = recentFirstWord + recentCapacity

    /// The frame that bit 0 stands for: span.start rounded down to a multiple of 64.
    @usableFromInline let base: FrameNumber
    /// Words per per-frame bitmap: enough to cover base ..< span.end.
    let leafWords: Int
    let free: SummaryGeometry
    let fullWords: SummaryGeometry
    @usableFromInline let startsOffset: Int
    @usableFromInline let managedOffset: Int
    let reservedOffset: Int
    let runLengths: RunLengthGeometry
    /// The run lengths for alignment 2; those for 4...64 follow, `alignedStride` words apart.
    let alignedRunLengths: RunLengthGeometry
    let alignedStride: Int
    let totalWords: Int

    /// Precondition: the span is not empty.
    init(span: FrameRange) {
        precondition(!span.isEmpty, "layout of an empty span")
        base = FrameNumber(alignDown(span.start.raw, to: 64))
        leafWords = Int((span.end.raw - base.raw + 63) / 64)
        free = SummaryGeometry(leafBits: leafWords * 64, firstWord: Self.headerWords)
        fullWords = SummaryGeometry(leafBits: leafWords, firstWord: free.endWord)
        startsOffset = fullWords.endWord
        managedOffset = startsOffset + leafWords
        reservedOffset = managedOffset + leafWords
        runLengths = RunLengthGeometry(leafWords: leafWords, firstWord: reservedOffset + leafWords)
        alignedRunLengths = RunLengthGeometry(leafWords: leafWords, firstWord: runLengths.endWord)
        alignedStride = alignedRunLengths.endWord - alignedRunLengths.firstWord
        totalWords = alignedRunLengths.firstWord + 6 * alignedStride
    }

    /// The layout of the allocator that manages nothing: no words at all.
    static var empty: FrameAllocatorLayout { FrameAllocatorLayout() }

    private init() {
        base = FrameNumber(0)
        leafWords = 0
        free = SummaryGeometry(leafBits: 0, firstWord: 0)
        fullWords = SummaryGeometry(leafBits: 0, firstWord: 0)
        startsOffset = 0
        managedOffset = 0
        reservedOffset = 0
        runLengths = RunLengthGeometry(leafWords: 0, firstWord: 0)
        alignedRunLengths = RunLengthGeometry(leafWords: 0, firstWord: 0)
        alignedStride = 0
        totalWords = 0
    }

    var byteCount: UInt64 { UInt64(totalWords) * 8 }
    var bitCount: Int { leafWords * 64 }
}

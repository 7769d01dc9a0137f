// The recently freed frames: a stack of up to `recentLimit` (at most 64) one-frame allocations
// just freed, handed out again first (off when recentLimit is 0, as in the first-fit model tests). Linux keeps such per-CPU page lists in front of its buddy system for the same
// reason: a frame freed is most often followed by a frame allocated (a page-table page, a demand
// fault after an unmap), and the pair then costs a push and a pop instead of two climbs of the
// summaries and a run-length update. The kernel runs on one CPU, so there is one stack.
//
// A frame on the stack is FREE to everyone outside this file: it is counted in freeCount (the
// bitmaps' count plus the stack's: push and pop write no counter but the stack's), state(of:)
// says `.free`, isFree is true, freeing it again is `.alreadyFree`. In the bitmaps it still looks
// allocated (its free bit is 0) but has no start bit, so no search can hand it out twice and the
// one-frame fast free refuses it. A run search that fails puts every stacked frame back into the
// bitmaps and tries once more (a stacked frame may be the one that completes a run).
//
// Invariants (checkInvariants): count <= recentCapacity; entries are distinct managed, unreserved
// frames of the span whose free bit and start bit are both 0; freeCount == popcount(free) + count
// (the stored word is popcount(free)).
// Entries are bit indices (frame - layout.base), like every other word of the metadata.
import MemoryCore

extension FrameAllocator {
    /// How many freed frames wait on the stack at most.
    public static let recentCapacity = FrameAllocatorLayout.recentCapacity

    /// Frames on the stack now.
    public var recentFrameCount: Int { words.count == 0 ? 0 : recentCount }

    @inlinable var recentCount: Int {
        @inline(__always) get { Int(truncatingIfNeeded: words[FrameAllocatorLayout.recentCountWord]) }
        @inline(__always) nonmutating set { words[FrameAllocatorLayout.recentCountWord] = UInt64(truncatingIfNeeded: newValue) }
    }

    @inlinable @inline(__always) func recentEntry(_ slot: Int) -> Int {
        Int(truncatingIfNeeded: words[FrameAllocatorLayout.recentFirstWord &+ slot])  // a corrupt word: the checker names it
    }

    /// Puts index (a one-frame allocation being freed, its start bit set) on the stack: false
    /// when the stack is full (the caller frees it into the bitmaps).
    @inlinable @inline(__always) func pushRecent(_ index: Int) -> Bool {
        let count = recentCount
        guard count < recentLimit else { return false }
        words[FrameAllocatorLayout.recentFirstWord &+ count] = UInt64(truncatingIfNeeded: index)
        recentCount = count &+ 1
        words[layout.startsOffset &+ (index &>> 6)] &= ~(1 &<< UInt64(truncatingIfNeeded: index & 63))
        return true
    }

    /// Takes the most recently freed frame off the stack, allocated again (start bit set).
    @inlinable @inline(__always) func popRecent() -> Int? {
        let count = recentCount
        guard count > 0 else { return nil }
        let index = recentEntry(count &- 1)
        recentCount = count &- 1
        words[layout.startsOffset &+ (index &>> 6)] |= 1 &<< UInt64(truncatingIfNeeded: index & 63)
        return index
    }

    /// Whether bit index `index` is on the stack (a scan of at most 64 words: slow paths only).
    func isRecent(_ index: Int) -> Bool {
        for slot in 0 ..< recentCount where recentEntry(slot) == index { return true }
        return false
    }

    /// Whether any stacked frame lies in bit indices [start, end).
    func anyRecent(from start: Int, to end: Int) -> Bool {
        for slot in 0 ..< recentCount where (start ..< end).contains(recentEntry(slot)) { return true }
        return false
    }

    /// Frees every stacked frame into the bitmaps (a run search needs them there). Changes no
    /// frame's state as seen from outside: they were free and stay free.
    public func drainRecentFrames() {
        guard words.count != 0 else { return }
        while let index = popRecent() {  // allocated again (start bit set), then freed into the bitmaps
            markFree(from: index, count: 1)
            hint = min(hint, index)
        }
    }

    /// The stacked frames' bits in leaf word `word` (for the checker).
    func recentMask(ofWord word: Int) -> UInt64 {
        var mask: UInt64 = 0
        for slot in 0 ..< recentCount where recentEntry(slot) >> 6 == word { mask |= 1 << UInt64(recentEntry(slot) & 63) }
        return mask
    }
}

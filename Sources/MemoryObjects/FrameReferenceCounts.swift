// Frame -> number of object page slots holding it. A frame is in the table exactly while some
// live object's slot holds it (count >= 1); the entry goes when the count reaches 0, which is the
// moment the frame goes back to the frame source. Mappings do not count here: they count objects.
//
// Invariants: every stored count >= 1; sharedFrames == number of entries with count > 1.

import MemoryCore

struct FrameReferenceCounts {
    private(set) var counts: [FrameNumber: UInt32] = [:]
    private(set) var sharedFrames: UInt64 = 0

    var framesHeld: UInt64 { UInt64(counts.count) }

    func count(of frame: FrameNumber) -> UInt32 { counts[frame] ?? 0 }

    /// One more slot holds `frame` (0 -> 1 for a fresh frame). False (nothing changed) at 2^32 - 1.
    mutating func retain(_ frame: FrameNumber) -> Bool {
        let old = count(of: frame)
        guard old < UInt32.max else { return false }
        counts[frame] = old + 1
        if old == 1 { sharedFrames += 1 }
        return true
    }

    /// One slot fewer holds `frame`; true when that was the last (the caller frees the frame).
    /// A frame not in the table is a bookkeeping bug: reported as "not freed" (false) rather than
    /// trapping; the invariant checker reports the mismatch.
    mutating func release(_ frame: FrameNumber) -> Bool {
        guard let old = counts[frame] else { return false }
        if old == 2 { sharedFrames -= 1 }
        if old == 1 {
            counts[frame] = nil
            return true
        }
        counts[frame] = old - 1
        return false
    }
}

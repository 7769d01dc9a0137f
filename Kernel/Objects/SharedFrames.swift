// The exact count behind the summary's `shared_frames_peak=`: how many frames are mapped in two
// or more address spaces at the same moment, at most. Counted per frame as the number of DISTINCT
// address spaces (processes) with a present leaf mapping it, maintained on every leaf of an
// object frame installed or removed (KernelMachine.objectLeafMapped/Unmapped, which the object
// fault, unmap, decommit, CoW and process-end paths call). A frame mapped twice in one process
// (an object mapped at two addresses) counts one space; private frames are never shared.
//
// Invariants (checkInvariants): every (frame, pid) pair has leaves >= 1; spaces[frame] == the
// number of pairs naming the frame; sharedNow == #frames with spaces >= 2; peak >= sharedNow.
// When no object frame is mapped anywhere, both tables are empty and their storage is released
// (the heap balance at power-off counts it).
import MemoryCore

struct SharedFrames {
    private struct Mapping: Hashable {
        let frame: FrameNumber
        let pid: Int
    }
    /// (frame, process) -> present leaves mapping the frame in that process's space.
    private var leaves: [Mapping: UInt32] = [:]
    /// frame -> distinct spaces mapping it.
    private var spaces: [FrameNumber: UInt32] = [:]
    /// Frames mapped in two or more spaces now, and at most so far.
    private(set) var sharedNow: UInt64 = 0
    private(set) var peak: UInt64 = 0

    mutating func leafMapped(_ frame: FrameNumber, pid: Int) {
        let key = Mapping(frame: frame, pid: pid)
        let count = (leaves[key] ?? 0) + 1
        leaves[key] = count
        guard count == 1 else { return }  // another leaf in a space already counted
        let distinct = (spaces[frame] ?? 0) + 1
        spaces[frame] = distinct
        if distinct == 2 {
            sharedNow += 1
            peak = max(peak, sharedNow)
        }
    }

    /// Returns false (and changes nothing) for a leaf never counted: a kernel bug the caller reports.
    @discardableResult
    mutating func leafUnmapped(_ frame: FrameNumber, pid: Int) -> Bool {
        let key = Mapping(frame: frame, pid: pid)
        guard let count = leaves[key], let distinct = spaces[frame] else { return false }
        if count > 1 {
            leaves[key] = count - 1
            return true
        }
        leaves[key] = nil
        spaces[frame] = distinct == 1 ? nil : distinct - 1
        if distinct == 2 { sharedNow -= 1 }
        if leaves.isEmpty {  // give the storage back: nothing is mapped
            leaves = [:]
            spaces = [:]
        }
        return true
    }

    /// Leaves counted for `pid` (its object leaves); 0 after its end.
    func leafCount(pid: Int) -> UInt64 {
        var total: UInt64 = 0
        for (key, count) in leaves where key.pid == pid { total += UInt64(count) }
        return total
    }

    var isEmpty: Bool { leaves.isEmpty }

    /// The first broken rule, named (checks build).
    func checkInvariants() -> StaticString? {
        var pairs: [FrameNumber: UInt32] = [:]
        for (key, count) in leaves {
            if count == 0 { return "zero-leaf-pair" }
            pairs[key.frame, default: 0] += 1
        }
        if pairs.count != spaces.count { return "space-table-size" }
        var shared: UInt64 = 0
        for (frame, distinct) in spaces {
            if pairs[frame] != distinct { return "space-count" }
            if distinct >= 2 { shared += 1 }
        }
        if shared != sharedNow { return "shared-now" }
        if peak < sharedNow { return "peak-below-now" }
        return nil
    }
}

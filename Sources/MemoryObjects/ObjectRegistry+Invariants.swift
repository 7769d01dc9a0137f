// The registry's checker: every counter recomputed from the structures, as equations.
//   refcount(f) == number of (live object, page) slots holding f, for every f
//   each object holds each of its frames in one slot only (commit and CoW take fresh frames,
//     clone copies a range of distinct frames, adopt refuses repeats: so no object ever
//     holds a frame twice)
//   object.references >= 1; 1 <= pageCount <= maximumPageCount; object.committedPages ==
//     its committed slots
//   committedPages == sum of committed slots; chargedPages == sum of page counts
//   sharedFrames == frames with refcount > 1
// O(total pages): for tests and checks builds, not for every fault of a release kernel.

import MemoryCore

/// The first broken rule found in the registry (or between it and its holders).
public enum ObjectInvariantViolation: Error, Equatable, Sendable {
    case tableCountWrong
    case objectUnreferenced(ObjectID)
    case objectSizeWrong(ObjectID)
    case objectCommittedCountWrong(ObjectID, recorded: UInt64, actual: UInt64)
    case frameHeldTwiceByObject(ObjectID, FrameNumber)
    case frameCountWrong(FrameNumber, recorded: UInt32, actual: UInt32)
    case sharedFramesWrong(recorded: UInt64, actual: UInt64)
    case committedPagesWrong(recorded: UInt64, actual: UInt64)
    case chargedPagesWrong(recorded: UInt64, actual: UInt64)
    /// A frame an object holds that the frame source says is free (checkFrames).
    case heldFrameNotAllocated(FrameNumber)
    /// An object's references differ from its holders' count (checkReferences).
    case objectReferencesWrong(ObjectID, recorded: UInt32, holders: UInt32)
    /// A holder names an object that does not exist (checkReferences).
    case danglingObjectReference(ObjectID)
}

extension MemoryObjects {
    public func checkInvariants() -> ObjectInvariantViolation? {
        guard slots.isConsistent(isPresent: { records[$0] != nil }) else { return .tableCountWrong }
        var actualCounts: [FrameNumber: UInt32] = [:]
        var committed: UInt64 = 0
        var charged: UInt64 = 0
        for id in liveObjects {
            let object = record(id)!
            if let violation = check(object, id, counting: &actualCounts) { return violation }
            committed += object.committedPages
            charged += object.pageCount
        }
        if let violation = checkFrameCounts(actualCounts) { return violation }
        guard committed == committedPages else { return .committedPagesWrong(recorded: committedPages, actual: committed) }
        guard charged == chargedPages else { return .chargedPagesWrong(recorded: chargedPages, actual: charged) }
        return nil
    }

    /// Every frame an object holds is allocated according to the frame source (host fake: its
    /// record of allocated frames), so no freed frame is still referenced.
    public func checkFrames(isAllocated: (FrameNumber) -> Bool) -> ObjectInvariantViolation? {
        for frame in frameCounts.counts.keys where !isAllocated(frame) { return .heldFrameNotAllocated(frame) }
        return nil
    }

    /// Each object's references equal `holders[id]` (handles in tables and in transit + mapping
    /// regions, counted by the caller), and no holder names a dead object.
    public func checkReferences(holders: [ObjectID: UInt32]) -> ObjectInvariantViolation? {
        for (id, count) in holders where record(id) == nil && count > 0 { return .danglingObjectReference(id) }
        for id in liveObjects {
            let recorded = record(id)!.references
            guard recorded == holders[id] ?? 0 else {
                return .objectReferencesWrong(id, recorded: recorded, holders: holders[id] ?? 0)
            }
        }
        return nil
    }

    private func check(
        _ object: MemoryObject, _ id: ObjectID, counting counts: inout [FrameNumber: UInt32]
    )
        -> ObjectInvariantViolation?
    {
        guard object.references >= 1 else { return .objectUnreferenced(id) }
        guard object.pageCount >= 1, object.pageCount <= Self.maximumPageCount else { return .objectSizeWrong(id) }
        var own = Set<FrameNumber>()
        for page in object.pages {
            guard let frame = page.frame else { continue }
            guard own.insert(frame).inserted else { return .frameHeldTwiceByObject(id, frame) }
            counts[frame, default: 0] += 1
        }
        guard UInt64(own.count) == object.committedPages else {
            return .objectCommittedCountWrong(id, recorded: object.committedPages, actual: UInt64(own.count))
        }
        return nil
    }

    private func checkFrameCounts(_ actual: [FrameNumber: UInt32]) -> ObjectInvariantViolation? {
        for (frame, count) in frameCounts.counts where actual[frame] != count {
            return .frameCountWrong(frame, recorded: count, actual: actual[frame] ?? 0)
        }
        for (frame, count) in actual where frameCounts.count(of: frame) != count {
            return .frameCountWrong(frame, recorded: frameCounts.count(of: frame), actual: count)
        }
        let shared = UInt64(actual.values.filter { $0 > 1 }.count)
        guard shared == frameCounts.sharedFrames else {
            return .sharedFramesWrong(recorded: frameCounts.sharedFrames, actual: shared)
        }
        return nil
    }
}

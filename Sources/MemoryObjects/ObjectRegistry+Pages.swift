// Page operations: the fault path (resolvePage), explicit commit and decommit.
//
// The fault rules (contract "Faults on object regions" and "CoW clone"):
//   uncommitted page, any access   -> a fresh zeroed frame in the slot (refcount 1): .committed.
//                                     Never the shared zero frame: a later writer through another
//                                     mapping would leave that zero-frame leaf stale.
//   committed, refcount 1          -> .present, exclusive (the leaf may be writable: no copy).
//   committed, refcount > 1, read  -> .present, not exclusive (the leaf must stay read-only).
//   committed, refcount > 1, write -> CoW: a new frame, the 4 KiB copied, the slot takes it
//                                     (refcount 1), the old frame loses one ref: .copied(old:).
//                                     The caller must then drop every OTHER mapping's leaf of this
//                                     object page (they map the old frame).

import MemoryCore

/// What resolvePage found or did.
public enum PageResolutionOutcome: Equatable, Sendable {
    /// The page already held this frame.
    case present
    /// The page was uncommitted: a fresh zeroed frame now holds it.
    case committed
    /// The page's frame was shared and this was a write: it now holds a private copy; `old` is
    /// the frame it held (still held by the other sharers).
    case copied(old: FrameNumber)
}

/// The frame to map for a fault.
public struct PageResolution: Equatable, Sendable {
    public let frame: FrameNumber
    /// The frame's refcount is 1: a writable region may map it writable.
    public let exclusive: Bool
    public let outcome: PageResolutionOutcome
    /// The frame's refcount after the operation (for the log's refs= field).
    public let references: UInt32
}

extension MemoryObjects {
    /// The frame for an access to `page` of the object: commits an uncommitted page; with
    /// `forWrite` on a shared frame makes the CoW copy. Throws (nothing changed) for no such
    /// object, a page outside it, or no frame left.
    public mutating func resolvePage<Source: ObjectFrameSource>(
        _ id: ObjectID, page: UInt64, forWrite: Bool, source: inout Source
    ) throws(ObjectError) -> PageResolution {
        let slot = try slot(of: id)
        guard page < records[slot]!.pageCount else { throw .outsideObject }
        let index = Int(page)
        guard let frame = records[slot]!.pages[index].frame else {
            let fresh = try commitSlot(slot, index, source: &source)
            return PageResolution(frame: fresh, exclusive: true, outcome: .committed, references: 1)
        }
        let count = frameCounts.count(of: frame)
        guard count > 1, forWrite else {
            return PageResolution(frame: frame, exclusive: count == 1, outcome: .present, references: count)
        }
        let copy = try allocateFrame(source: &source)
        source.copyFrame(from: frame, to: copy)
        records[slot]!.pages[index] = PageSlot(frame: copy)!
        _ = frameCounts.retain(copy)
        _ = dropFrameReference(frame, source: &source)  // count > 1: never the last
        cowCopies += 1
        return PageResolution(frame: copy, exclusive: true, outcome: .copied(old: frame), references: 1)
    }

    /// Commits every uncommitted page of [firstPage, firstPage + pageCount); returns how many it
    /// committed. If the frame source runs dry part way, the pages committed by this call are
    /// decommitted again and `outOfFrames` thrown (nothing changed).
    public mutating func commit<Source: ObjectFrameSource>(
        _ id: ObjectID, firstPage: UInt64, pageCount: UInt64, source: inout Source
    ) throws(ObjectError) -> UInt64 {
        let slot = try slot(of: id)
        guard let range = records[slot]!.pageRange(first: firstPage, count: pageCount) else {
            throw pageCount == 0 ? .zeroSize : .outsideObject
        }
        var committedNow: [Int] = []
        for index in range where !records[slot]!.pages[index].isCommitted {
            do {
                _ = try commitSlot(slot, index, source: &source)
                committedNow.append(index)
            } catch {
                for undo in committedNow { decommitSlot(slot, undo, source: &source) }
                throw error
            }
        }
        return UInt64(committedNow.count)
    }

    /// Drops the frames of [firstPage, firstPage + pageCount) (one ref each; frames reaching 0 go
    /// back); the pages read as zero again. The charge stays (it is the object's whole size).
    /// Returns how many pages were committed before. The caller drops every mapping's leaves over
    /// the range.
    public mutating func decommit<Source: ObjectFrameSource>(
        _ id: ObjectID, firstPage: UInt64, pageCount: UInt64, source: inout Source
    ) throws(ObjectError) -> UInt64 {
        let slot = try slot(of: id)
        guard let range = records[slot]!.pageRange(first: firstPage, count: pageCount) else {
            throw pageCount == 0 ? .zeroSize : .outsideObject
        }
        var dropped: UInt64 = 0
        for index in range where records[slot]!.pages[index].isCommitted {
            decommitSlot(slot, index, source: &source)
            dropped += 1
        }
        return dropped
    }

    /// A fresh zeroed frame into an uncommitted slot.
    private mutating func commitSlot<Source: ObjectFrameSource>(
        _ slot: Int, _ index: Int, source: inout Source
    )
        throws(ObjectError) -> FrameNumber
    {
        let frame = try allocateFrame(source: &source)
        records[slot]!.pages[index] = PageSlot(frame: frame)!
        records[slot]!.committedPages += 1
        committedPages += 1
        _ = frameCounts.retain(frame)
        return frame
    }

    /// A committed slot back to uncommitted (its frame loses one ref).
    private mutating func decommitSlot<Source: ObjectFrameSource>(_ slot: Int, _ index: Int, source: inout Source) {
        guard let frame = records[slot]!.pages[index].frame else { return }
        records[slot]!.pages[index] = .uncommitted
        records[slot]!.committedPages -= 1
        committedPages -= 1
        _ = dropFrameReference(frame, source: &source)
    }

    /// A zeroed frame from the source whose number fits a page slot (a frame number past 2^52
    /// cannot be physical: it goes straight back and counts as no frame).
    private mutating func allocateFrame<Source: ObjectFrameSource>(
        source: inout Source
    ) throws(ObjectError)
        -> FrameNumber
    {
        guard let frame = source.allocateZeroedFrame() else { throw .outOfFrames }
        guard PageSlot(frame: frame) != nil else {
            source.freeFrame(frame)
            throw .outOfFrames
        }
        return frame
    }
}

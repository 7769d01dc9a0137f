// The registry of memory objects (one per kernel) and the reference counts of their frames.
// Lifecycle operations live here; page operations (faults, commit, decommit) in
// ObjectRegistry+Pages.swift; the checker in ObjectRegistry+Invariants.swift.
//
// Every operation validates first and then performs steps that cannot fail, so a thrown error
// leaves everything as it was (frames, charges, counts).

import MemoryCore

/// What a release did.
public enum ObjectReleaseOutcome: Equatable, Sendable {
    /// Other references remain (this many).
    case stillReferenced(UInt32)
    /// That was the last: the object is gone, this many frames went back, its charge released.
    case destroyed(framesFreed: UInt64, pages: UInt64)
}

public struct MemoryObjects {
    /// Most objects alive at once (a fixed table: `objectTableFull` beyond it).
    public static let capacity = 1024
    /// Largest object: 65 536 pages = 256 MiB (its slot array: 512 KiB of kernel heap).
    public static let maximumPageCount: UInt64 = 1 << 16

    var slots = SlotAllocator(capacity: MemoryObjects.capacity)
    /// records[s]: the object in slot s (nil when the slot is free).
    var records = [MemoryObject?](repeating: nil, count: MemoryObjects.capacity)
    var frameCounts = FrameReferenceCounts()
    public internal(set) var cowCopies: UInt64 = 0
    public internal(set) var committedPages: UInt64 = 0
    public internal(set) var chargedPages: UInt64 = 0
    public internal(set) var objectsDestroyed: UInt64 = 0
    public internal(set) var framesFreed: UInt64 = 0

    public init() {}

    // MARK: Queries (no side effects)

    /// The object's size in pages; nil for an id that names no live object.
    public func pageCount(_ id: ObjectID) -> UInt64? { record(id)?.pageCount }

    /// References (handles + mapping regions) on the object; nil for no such object.
    public func references(of id: ObjectID) -> UInt32? { record(id)?.references }

    /// The frame in page `page`, or nil when uncommitted (or no such object/page).
    public func frame(_ id: ObjectID, page: UInt64) -> FrameNumber? {
        guard let object = record(id), page < object.pageCount else { return nil }
        return object.pages[Int(page)].frame
    }

    /// Number of object page slots holding `frame` (0: no object holds it).
    public func referenceCount(of frame: FrameNumber) -> UInt32 { frameCounts.count(of: frame) }

    /// Every live object's id, in slot order.
    public var liveObjects: [ObjectID] {
        slots.occupiedSlots.map { ObjectID(slot: $0, generation: slots.generations[$0]) }
    }

    public var statistics: ObjectStatistics {
        var s = ObjectStatistics()
        s.liveObjects = slots.count
        s.framesHeld = frameCounts.framesHeld
        s.sharedFrames = frameCounts.sharedFrames
        s.cowCopies = cowCopies
        s.committedPages = committedPages
        s.chargedPages = chargedPages
        s.objectsDestroyed = objectsDestroyed
        s.framesFreed = framesFreed
        return s
    }

    func record(_ id: ObjectID) -> MemoryObject? {
        guard let generation = id.generation else { return nil }
        return slots.contains(slot: id.slot, generation: generation) ? records[id.slot] : nil
    }

    /// The slot of a live object, or `noSuchObject`.
    func slot(of id: ObjectID) throws(ObjectError) -> Int {
        guard let generation = id.generation, slots.contains(slot: id.slot, generation: generation) else {
            throw .noSuchObject
        }
        return id.slot
    }

    // MARK: Creation

    /// A new object of `pageCount` uncommitted pages, charged whole. The caller owns its first
    /// reference (for the handle it is about to make).
    public mutating func create<Source: ObjectFrameSource>(
        pageCount: UInt64, source: inout Source
    )
        throws(ObjectError) -> ObjectID
    {
        try checkNewObject(pageCount: pageCount, source: &source)
        let pages = [PageSlot](repeating: .uncommitted, count: Int(pageCount))
        return insertCharged(MemoryObject(pages: pages, committedPages: 0))
    }

    /// A copy-on-write clone of pages [firstPage, firstPage + pageCount) of `source object`: a new
    /// object whose slots hold the same frames (each +1 ref; uncommitted stays uncommitted),
    /// charged whole. Costs no frame and no copy; the caller must write-protect every mapping of
    /// the source over those pages (their frames are now shared). The caller owns the first ref.
    public mutating func clone<Source: ObjectFrameSource>(
        _ id: ObjectID, firstPage: UInt64, pageCount: UInt64, source: inout Source
    ) throws(ObjectError) -> ObjectID {
        let slot = try slot(of: id)
        guard pageCount > 0 else { throw .zeroSize }
        guard let range = records[slot]!.pageRange(first: firstPage, count: pageCount) else {
            throw .outsideObject
        }
        let pages = Array(records[slot]!.pages[range])
        for page in pages { if let frame = page.frame, frameCounts.count(of: frame) == UInt32.max { throw .referenceOverflow } }
        try checkNewObject(pageCount: pageCount, source: &source)
        var committed: UInt64 = 0
        for page in pages {
            guard let frame = page.frame else { continue }
            _ = frameCounts.retain(frame)
            committed += 1
        }
        return insertCharged(MemoryObject(pages: pages, committedPages: committed))
    }

    /// A new object over frames the caller owns (page transfer: the frames of an anonymous range,
    /// nil = uncommitted page). The frames move in with no copy, each with refcount 1; the object
    /// is charged its whole size. Refused (nothing changed) when a frame is already held by an
    /// object or listed twice. The caller should release the range's own charge before calling
    /// (so the move does not need both charges at once) and take it back if this throws.
    public mutating func adopt<Source: ObjectFrameSource>(
        frames: [FrameNumber?], source: inout Source
    )
        throws(ObjectError) -> ObjectID
    {
        var pages = [PageSlot]()
        pages.reserveCapacity(frames.count)
        var seen = Set<FrameNumber>()
        for frame in frames {
            guard let frame else {
                pages.append(.uncommitted)
                continue
            }
            guard let slot = PageSlot(frame: frame), frameCounts.count(of: frame) == 0, seen.insert(frame).inserted else {
                throw .frameInUse
            }
            pages.append(slot)
        }
        try checkNewObject(pageCount: UInt64(frames.count), source: &source)
        for case let frame? in frames { _ = frameCounts.retain(frame) }
        return insertCharged(MemoryObject(pages: pages, committedPages: UInt64(seen.count)))
    }

    /// Size limits, a free table slot, then the charge (the one step with an effect: taken last).
    private mutating func checkNewObject<Source: ObjectFrameSource>(
        pageCount: UInt64, source: inout Source
    )
        throws(ObjectError)
    {
        guard pageCount > 0 else { throw .zeroSize }
        guard pageCount <= Self.maximumPageCount else { throw .tooLarge }
        guard !slots.isFull else { throw .objectTableFull }
        guard source.chargeCommit(pageCount) else { throw .commitLimit }
    }

    /// Inserts an object whose charge was taken (a free slot was checked just before).
    private mutating func insertCharged(_ object: MemoryObject) -> ObjectID {
        let (slot, generation) = slots.allocate()!
        records[slot] = object
        chargedPages += object.pageCount
        committedPages += object.committedPages
        return ObjectID(slot: slot, generation: generation)
    }

    // MARK: References

    /// One more reference (a new handle to it, a new mapping region of it).
    public mutating func retain(_ id: ObjectID) throws(ObjectError) {
        let slot = try slot(of: id)
        guard records[slot]!.references < UInt32.max else { throw .referenceOverflow }
        records[slot]!.references += 1
    }

    /// One reference fewer; the last one destroys the object: each committed slot's frame loses a
    /// ref (frames reaching 0 go back to `source`) and the object's charge is released.
    public mutating func release<Source: ObjectFrameSource>(
        _ id: ObjectID, source: inout Source
    )
        throws(ObjectError) -> ObjectReleaseOutcome
    {
        let slot = try slot(of: id)
        if records[slot]!.references > 1 {
            records[slot]!.references -= 1
            return .stillReferenced(records[slot]!.references)
        }
        let object = records[slot]!
        records[slot] = nil
        _ = slots.free(slot: slot, generation: id.generation!)
        var freed: UInt64 = 0
        for page in object.pages {
            if let frame = page.frame, dropFrameReference(frame, source: &source) { freed += 1 }
        }
        committedPages -= object.committedPages
        chargedPages -= object.pageCount
        source.releaseCommit(object.pageCount)
        objectsDestroyed += 1
        return .destroyed(framesFreed: freed, pages: object.pageCount)
    }

    /// One slot fewer holds `frame`; frees it at 0. True when freed.
    mutating func dropFrameReference<Source: ObjectFrameSource>(_ frame: FrameNumber, source: inout Source) -> Bool {
        guard frameCounts.release(frame) else { return false }
        source.freeFrame(frame)
        framesFreed += 1
        return true
    }
}

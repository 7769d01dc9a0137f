// Object regions: pages of a memory object (MemoryObjects) mapped into this address space, shared
// with every other mapping of the object. The object holds the frames and the charge; the region
// holds only leaves (and is charged its page tables, as every region).
//
// Rules (the contract of issue 9, /work/notes/ISSUE9-CONTRACT.md):
//   - a fault on an object page, read or write, resolves the page through the registry: an
//     uncommitted page is committed (a fresh zeroed frame in the slot, never the shared zero
//     frame); a write to a shared frame (refcount > 1) makes the CoW copy; the leaf maps the
//     page's frame, writable only when the region is writable AND the frame is the object's alone;
//   - after a CoW copy every OTHER mapping of that page maps the old frame: the page is queued in
//     `staleObjectPages` and the machine reconciles every mapping of it (reconcileObjectLeaves,
//     in every process) once this process's memory is no longer being changed;
//   - unmap drops an object region's leaves without freeing a frame; the process holds ONE
//     reference on each object it maps at all (taken by its first region of it, dropped when its
//     last goes: unmap, destroy), so the registry frees the frames when nobody holds the object;
//   - protect may narrow an object region, or widen it within what the mapping handle allowed
//     (`mayWrite`; never execute); its leaves become read-only and the next write decides.
import MemoryCore
import MemoryObjects
import PageTables

/// Pages [firstPage, firstPage + pageCount) of one object.
public struct ObjectPages: Hashable, Sendable {
    public var object: ObjectID
    public var firstPage: UInt64
    public var pageCount: UInt64

    public init(object: ObjectID, firstPage: UInt64, pageCount: UInt64) {
        self.object = object
        self.firstPage = firstPage
        self.pageCount = pageCount
    }

    public var endPage: UInt64 { firstPage + pageCount }
}

/// What a fault on an object page did (the log's `obj fault ... kind=`).
public enum ObjectFaultKind: Hashable, Sendable {
    /// The page was uncommitted: a fresh zeroed frame holds it now.
    case commit
    /// A write to a shared frame: the page holds a private copy now.
    case cowCopy
    /// A write to a read-only leaf whose frame is the object's alone: made writable, no copy.
    case cowReuse
    /// The page's frame was mapped as it is.
    case present

    public var name: StaticString {
        switch self {
        case .commit: "commit"
        case .cowCopy: "cow-copy"
        case .cowReuse: "cow-reuse"
        case .present: "present"
        }
    }
}

/// A resolved fault on an object page.
public struct ObjectFault: Hashable, Sendable {
    public var object: ObjectID
    public var page: UInt64
    public var kind: ObjectFaultKind
    /// The frame's reference count afterwards (the log's `refs=`).
    public var references: UInt32
}

extension ProcessMemory {
    // MARK: - Mapping and unmapping

    /// Reserves [start, start + pages.pageCount pages) as a region over `pages` with leaf `flags`
    /// (no frame yet: faults bring them), taking the process's reference on the object when this
    /// is its first region of it. Refusals as `reserve` (nothing changed).
    public mutating func mapObject<Machine: SyscallMachine>(
        _ pages: ObjectPages, at start: VirtualAddress, flags: PageFlags, mayWrite: Bool, machine: inout Machine
    ) throws(RejectionReason) {
        let firstMapping = !maps(pages.object)
        if firstMapping {
            do throws(ObjectError) {
                try machine.withObjects { (objects, _) throws(ObjectError) in try objects.retain(pages.object) }
            } catch {
                throw .object(error)
            }
        }
        do throws(RejectionReason) {
            try reserve(
                at: start, pageCount: pages.pageCount, flags: flags,
                kind: .object(pages.object, firstPage: pages.firstPage, mayWrite: mayWrite), populate: false,
                machine: &machine)
        } catch {
            if firstMapping { releaseObjectReference(pages.object, machine: &machine) }
            throw error
        }
    }

    /// Whether some region of this process maps `object`.
    public func maps(_ object: ObjectID) -> Bool { regions.regions.contains { $0.kind.object == object } }

    /// Present leaves over object pages now: the objects' frames, which this process's end does
    /// not free (its own resident pages are pagesMapped minus these).
    public var objectLeafCount: Int {
        var count = 0
        for region in regions.regions where region.kind.object != nil {
            for page in 0 ..< region.pageCount where space.translate(VirtualAddress(region.start.raw + page * frameSize)) != nil {
                count += 1
            }
        }
        return count
    }

    /// The objects this process maps, each once.
    public var mappedObjects: [ObjectID] {
        var objects: [ObjectID] = []
        for region in regions.regions { if let object = region.kind.object, !objects.contains(object) { objects.append(object) } }
        return objects
    }

    /// After `pieces` left the regions: drops the reference on each object they mapped that no
    /// region maps any more.
    mutating func releaseObjectsNoLongerMapped<Machine: SyscallMachine>(_ pieces: [Region], machine: inout Machine) {
        var released: [ObjectID] = []
        for piece in pieces {
            guard let object = piece.kind.object, !released.contains(object), !maps(object) else { continue }
            released.append(object)
            releaseObjectReference(object, machine: &machine)
        }
    }

    private mutating func releaseObjectReference<Machine: SyscallMachine>(_ object: ObjectID, machine: inout Machine) {
        do throws(ObjectError) {
            _ = try machine.withObjects { (objects, frames) throws(ObjectError) in try objects.release(object, source: &frames) }
        } catch {
            preconditionFailure("a mapped object was not in the registry")
        }
    }

    /// Teardown's first step: every object region's leaves dropped (no frame freed), the regions
    /// removed and the references released (the objects' frames go back only if nobody else holds
    /// them). The charge is settled by destroy itself.
    public mutating func unmapObjectRegions<Machine: SyscallMachine>(machine: inout Machine) {
        let objectRegions = regions.regions.filter { $0.kind.object != nil }
        for region in objectRegions {
            unmapLeaves(from: region.start, pageCount: region.pageCount, freeingFrames: false, machine: &machine)
            regions.remove(from: region.start, to: region.end)
        }
        releaseObjectsNoLongerMapped(objectRegions, machine: &machine)
    }

    /// object_map's populate: every page of the freshly mapped object region [start, + pageCount
    /// pages) gets its leaf now, as a read fault would give it (an uncommitted page is committed: its
    /// frame was charged with the object; a frame the object shares with a clone stays read-only
    /// until a write copies it). One call instead of a fault per page: a received buffer is then
    /// read with no fault at all. A page that finds no frame (a kernel bug: see Faults) is left to
    /// its first touch, which reports it.
    mutating func populateObjectRegion<Machine: SyscallMachine>(
        at start: VirtualAddress, pageCount: UInt64, machine: inout Machine
    ) {
        guard let region = regions.region(containing: start) else { return }
        for index in 0 ..< pageCount {
            let page = VirtualAddress(start.raw + index * frameSize)
            let touch = PageFault(address: page, access: .read, wasPresent: false, fromUser: true)
            guard case .success = resolveObjectFault(touch, at: page, in: region, machine: &machine) else { return }
        }
    }

    // MARK: - Faults

    /// Resolves a fault at `page` of the object region `region` whose protection allows the access
    /// (ProcessMemory+Faults.swift decided that much).
    mutating func resolveObjectFault<Machine: SyscallMachine>(
        _ fault: PageFault, at page: VirtualAddress, in region: Region, machine: inout Machine
    ) -> Result<FaultResolution, FaultRefusal> {
        let (object, objectPage) = region.objectPage(at: page)!
        let backed = space.translate(page)
        if let backed, Self.allows(backed.flags, fault.access) { return .success(.alreadyResolved) }
        let resolution: PageResolution
        do throws(ObjectError) {
            resolution = try machine.withObjects { (objects, frames) throws(ObjectError) in
                try objects.resolvePage(object, page: objectPage, forWrite: fault.access == .write, source: &frames)
            }
        } catch {
            return .failure(.noFrame)  // committed memory found no frame (a kernel bug: see Faults)
        }
        let flags = resolution.exclusive ? region.flags : region.flags.subtracting(.writable)
        do throws(PageTableError) {
            if backed != nil {
                try space.replaceLeafFrame(page, with: resolution.frame, flags: flags).flush(machine)
            } else {
                try space.map(page, to: resolution.frame, size: .size4KiB, flags: flags, tableFrames: &tableFrames)
            }
        } catch {
            return .failure(.noFrame)  // a table frame was missing (as for private pages)
        }
        if backed?.frame != resolution.frame {  // a new leaf, or a CoW copy replacing the old frame's
            if let old = backed?.frame { machine.leafUnmapped(old) }
            machine.objectLeafMapped(resolution.frame)
        }
        peakPages = max(peakPages, pagesMapped)
        let kind: ObjectFaultKind
        switch resolution.outcome {
        case .committed: kind = .commit
        case .copied:
            kind = .cowCopy
            staleObjectPages.append(ObjectPages(object: object, firstPage: objectPage, pageCount: 1))
        case .present: kind = backed != nil ? .cowReuse : .present
        }
        return .success(.object(ObjectFault(object: object, page: objectPage, kind: kind, references: resolution.references)))
    }

    /// The object pages whose other mappings must be reconciled (see the file comment), emptied.
    public mutating func takeStaleObjectPages() -> [ObjectPages] {
        defer { staleObjectPages.removeAll() }
        return staleObjectPages
    }

    // MARK: - Keeping leaves in line with the registry

    /// Brings this process's leaves over `pages` in line with the registry: with `dropAll` every
    /// leaf is unmapped (decommit); otherwise a leaf whose frame is no longer its page's (a CoW
    /// copy through another mapping) is unmapped and a writable leaf on a frame now shared (a
    /// clone) becomes read-only. No frame is freed (they are the objects'). Each change is
    /// invalidated before this returns. Returns the leaves changed.
    @discardableResult
    public mutating func reconcileObjectLeaves<Machine: SyscallMachine>(
        _ pages: ObjectPages, dropAll: Bool, machine: inout Machine
    ) -> Int {
        var changed = 0
        for region in regions.regions {
            guard case .object(pages.object, let firstPage, _) = region.kind else { continue }
            let low = max(firstPage, pages.firstPage), high = min(firstPage + region.pageCount, pages.endPage)
            guard low < high else { continue }
            let start = VirtualAddress(region.start.raw + (low - firstPage) * frameSize)
            var leaves: [(page: VirtualAddress, frame: FrameNumber, flags: PageFlags)] = []
            do throws(PageTableError) {
                try space.leaves(startingAt: start, pageCount: high - low) { page, frame, flags in
                    leaves.append((page, frame, flags))
                }
            } catch {
                preconditionFailure("an object region's range was refused")
            }
            for leaf in leaves {
                let objectPage = firstPage + (leaf.page.raw - region.start.raw) / frameSize
                let (current, shared) = machine.withObjects { (objects, _) in
                    let frame = objects.frame(pages.object, page: objectPage)
                    return (frame, frame.map { objects.referenceCount(of: $0) > 1 } ?? false)
                }
                if dropAll || current != leaf.frame {
                    unmapLeaves(from: leaf.page, pageCount: 1, freeingFrames: false, machine: &machine)
                    changed += 1
                } else if shared && leaf.flags.contains(.writable) {
                    makeLeafReadOnly(leaf.page, frame: leaf.frame, flags: leaf.flags, machine: &machine)
                    changed += 1
                }
            }
        }
        return changed
    }

    /// protect's last step: every leaf of the object regions in [start, end) made read-only (the
    /// next write faults, and the fault decides whether the frame may be written).
    mutating func readOnlyObjectLeaves<Machine: SyscallMachine>(
        from start: VirtualAddress, to end: VirtualAddress, machine: inout Machine
    ) throws(PageTableError) {
        for piece in regions.pieces(from: start, to: end) where piece.kind.object != nil {
            try space.reprotectLeaves(startingAt: piece.start, pageCount: piece.pageCount) { _ in
                piece.flags.subtracting(.writable)
            }.flush(machine)
        }
    }

    private mutating func makeLeafReadOnly<Machine: SyscallMachine>(
        _ page: VirtualAddress, frame: FrameNumber, flags: PageFlags, machine: inout Machine
    ) {
        do throws(PageTableError) {
            let kept = flags.subtracting(PageFlags.hardwareManaged).subtracting(.writable)
            try space.replaceLeafFrame(page, with: frame, flags: kept).flush(machine)
        } catch {
            preconditionFailure("a present object leaf could not be made read-only")
        }
    }

    // MARK: - Page transfer (object_from_range)

    /// Moves the frames of [range] (wholly private `map` memory) into a new object, no byte copied:
    /// the range leaves this address space (its leaves dropped, its charge released first, so the
    /// move never needs both charges), and the object holds each page's frame (unbacked and
    /// zero-frame pages are uncommitted in it). The caller owns the object's first reference.
    /// Refusals, nothing changed: `.notAnonymous`, and the registry's (commit-limit, object table full).
    public mutating func moveRangeToObject<Machine: SyscallMachine>(
        _ range: UserRange, machine: inout Machine
    ) throws(RejectionReason) -> ObjectID {
        let pieces = regions.pieces(from: range.start, to: range.end)
        guard regions.covers(from: range.start, to: range.end), pieces.allSatisfy({ $0.kind == .anonymous }) else {
            throw .notAnonymous
        }
        let pageCount = range.pageCount
        var frames = [FrameNumber?](repeating: nil, count: Int(pageCount))
        let zero = machine.sharedZeroFrame
        do throws(PageTableError) {
            try space.leaves(startingAt: range.start, pageCount: pageCount) { page, frame, _ in
                if frame != zero { frames[Int((page.raw - range.start.raw) / frameSize)] = frame }
            }
        } catch {
            preconditionFailure("a validated user range was refused")
        }
        regions.remove(from: range.start, to: range.end)
        do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
            preconditionFailure("releasing a charge was refused")
        }
        let object: ObjectID
        do throws(ObjectError) {
            object = try machine.withObjects { (objects, source) throws(ObjectError) in
                try objects.adopt(frames: frames, source: &source)
            }
        } catch {
            for piece in pieces { regions.insert(piece) }
            do throws(RejectionReason) { try settleCharge(machine: &machine) } catch {
                preconditionFailure("taking back a charge just released was refused")
            }
            throw .object(error)
        }
        unmapLeaves(from: range.start, pageCount: pageCount, freeingFrames: false, machine: &machine)
        return object
    }

    // MARK: - Invariants

    /// The object regions' rules against the registry: every object mapped is alive and the
    /// regions lie inside it; every leaf maps its page's current frame (never the zero frame),
    /// writable only when the frame's refcount is 1. O(object leaves).
    public func checkObjectInvariants(zeroFrame: FrameNumber, objects: MemoryObjects) -> ProcessMemoryViolation? {
        for region in regions.regions {
            guard case .object(let object, let firstPage, let mayWrite) = region.kind else { continue }
            guard let size = objects.pageCount(object), firstPage + region.pageCount <= size else {
                return .objectRegionOutsideObject(region.start)
            }
            guard !region.isCharged, mayWrite || !region.isWritable, region.flags.contains(.noExecute) else {
                return .objectRegionRights(region.start)
            }
            var violation: ProcessMemoryViolation? = nil
            do throws(PageTableError) {
                try space.leaves(startingAt: region.start, pageCount: region.pageCount) { page, frame, flags in
                    guard violation == nil else { return }
                    let objectPage = firstPage + (page.raw - region.start.raw) / frameSize
                    if frame == zeroFrame || objects.frame(object, page: objectPage) != frame {
                        violation = .staleObjectLeaf(page)
                    } else if flags.contains(.writable) && objects.referenceCount(of: frame) != 1 {
                        violation = .sharedFrameWritable(page)
                    }
                }
            } catch {
                return .regionsOutOfOrder(region.start)
            }
            if let violation { return violation }
        }
        return nil
    }
}

// A region: a run of reserved user pages with one protection, one kind and one charge rule. The
// region list (RegionMap) is the record of what a process has reserved; the page tables record
// only what is backed so far (demand paging). See ProcessMemory.swift for the invariants.
import MemoryCore
import MemoryObjects
import PageTables

/// What a region holds: which calls may change it and how it is placed.
public enum RegionKind: Hashable, Sendable {
    /// An ELF segment: populated at load with the file's bytes.
    case image
    /// The pages of the program break.
    case programBreak
    /// The user stack: demand-paged up to its limit (UserSpace.stackBytes).
    case stack
    /// A `map` range: private memory (with object ranges, the kinds `unmap` and `protect` may change).
    case anonymous
    /// Pages [firstPage, firstPage + the region's pageCount) of a memory object, shared with every
    /// other mapping of it (object_map). Never charged to the process (the object carries the
    /// charge; the region's page tables are charged as any region's). `mayWrite`: the handle that
    /// mapped it had `write`, so `protect` may make it writable (never executable).
    case object(ObjectID, firstPage: UInt64, mayWrite: Bool)

    /// The same kind for the part of a region that starts `pages` pages further on: an object
    /// region's page offset moves with it (clipping, splitting).
    func advanced(byPages pages: UInt64) -> RegionKind {
        guard case .object(let object, let firstPage, let mayWrite) = self else { return self }
        return .object(object, firstPage: firstPage + pages, mayWrite: mayWrite)
    }

    /// The object an object region maps.
    public var object: ObjectID? {
        if case .object(let object, _, _) = self { return object }
        return nil
    }
}

/// A run of reserved pages [start, start + pageCount * 4 KiB).
public struct Region: Hashable, Sendable {
    public var start: VirtualAddress
    public var pageCount: UInt64
    /// The leaf flags a private frame of this region gets (present, user, writable?, NX?).
    public var flags: PageFlags
    public var kind: RegionKind
    /// Every page of the region is counted in the process's commit charge (private writable
    /// memory, or populated memory). An uncharged region can only ever map the shared zero frame.
    public var isCharged: Bool

    public init(start: VirtualAddress, pageCount: UInt64, flags: PageFlags, kind: RegionKind, isCharged: Bool) {
        self.start = start
        self.pageCount = pageCount
        self.flags = flags
        self.kind = kind
        self.isCharged = isCharged
    }

    public var end: VirtualAddress { VirtualAddress(start.raw + pageCount * frameSize) }
    public var isWritable: Bool { flags.contains(.writable) }
    public var chargedPages: UInt64 { isCharged ? pageCount : 0 }

    /// Whether the region is charged once its protection is (or is not) writable: private memory
    /// is charged from its first writable moment on (strict commit); an object region never (the
    /// object carries the charge).
    func chargedWhen(writable: Bool) -> Bool { isCharged || (writable && kind.object == nil) }

    @inlinable public func contains(_ address: VirtualAddress) -> Bool {
        start <= address && address.raw < start.raw + pageCount * frameSize
    }

    /// The part of this region in [from, to) (non-empty when they overlap).
    func clipped(from: VirtualAddress, to: VirtualAddress) -> Region {
        var piece = self
        piece.start = max(start, from)
        piece.pageCount = (min(end, to).raw - piece.start.raw) / frameSize
        piece.kind = kind.advanced(byPages: (piece.start.raw - start.raw) / frameSize)
        return piece
    }

    /// Whether `other` starts where this ends and could be one region with it (an object region
    /// only with the next pages of the same object).
    func canMerge(with other: Region) -> Bool {
        end == other.start && flags == other.flags && kind.advanced(byPages: pageCount) == other.kind
            && isCharged == other.isCharged
    }

    /// Whether protect may give the region `flags`: any protection for private memory; for an
    /// object region, never execute, and write only when the mapping handle had it (EACCES).
    func permits(_ flags: PageFlags) -> Bool {
        guard case .object(_, _, let mayWrite) = kind else { return true }
        return flags.contains(.noExecute) && (mayWrite || !flags.contains(.writable))
    }

    /// The object page `address` (in this region) maps, for an object region.
    public func objectPage(at address: VirtualAddress) -> (object: ObjectID, page: UInt64)? {
        guard case .object(let object, let firstPage, _) = kind else { return nil }
        return (object, firstPage + (address.raw - start.raw) / frameSize)
    }
}

// A region: a run of reserved user pages with one protection, one kind and one charge rule. The
// region list (RegionMap) is the record of what a process has reserved; the page tables record
// only what is backed so far (demand paging). See ProcessMemory.swift for the invariants.
import MemoryCore
import PageTables

/// What a region holds: which calls may change it and how it is placed.
public enum RegionKind: Hashable, Sendable {
    /// An ELF segment: populated at load with the file's bytes.
    case image
    /// The pages of the program break.
    case programBreak
    /// The user stack: demand-paged up to its limit (UserSpace.stackBytes).
    case stack
    /// A `map` range: the only kind `unmap` and `protect` may change.
    case anonymous
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

    @inlinable public func contains(_ address: VirtualAddress) -> Bool {
        start <= address && address.raw < start.raw + pageCount * frameSize
    }

    /// The part of this region in [from, to) (non-empty when they overlap).
    func clipped(from: VirtualAddress, to: VirtualAddress) -> Region {
        var piece = self
        piece.start = max(start, from)
        piece.pageCount = (min(end, to).raw - piece.start.raw) / frameSize
        return piece
    }

    /// Whether `other` starts where this ends and could be one region with it.
    func canMerge(with other: Region) -> Bool {
        end == other.start && flags == other.flags && kind == other.kind && isCharged == other.isCharged
    }
}

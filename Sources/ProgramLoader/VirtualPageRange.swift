// Page-aligned, half-open ranges of virtual addresses: where segments go and where a program may go.

import MemoryCore
import PageTables

/// A half-open virtual range [start, end) with both ends 4 KiB-aligned. Empty when start == end.
/// Invariant: start <= end, start and end multiples of 4 KiB (the initialisers enforce it).
public struct VirtualPageRange: Hashable, Sendable {
    public let start: VirtualAddress
    public let end: VirtualAddress

    /// The range [start, end), or nil when either end is not page-aligned or start > end.
    public init?(start: VirtualAddress, end: VirtualAddress) {
        guard start.isAligned(to: frameSize), end.isAligned(to: frameSize), start <= end else { return nil }
        self.init(uncheckedStart: start, end: end)
    }

    /// Contract: start <= end, both page-aligned (checked in debug builds).
    init(uncheckedStart start: VirtualAddress, end: VirtualAddress) {
        assert(
            start.isAligned(to: frameSize) && end.isAligned(to: frameSize) && start <= end,
            "VirtualPageRange needs page-aligned start <= end")
        self.start = start
        self.end = end
    }

    /// The user part of every user address space (`UserSpace.start ..< UserSpace.end`).
    public static let userSpace = VirtualPageRange(uncheckedStart: UserSpace.start, end: UserSpace.end)

    /// The pages any byte of [address, address + byteCount) touches:
    /// [alignDown(address), alignUp(address + byteCount)), or nil when the end passes 2^64.
    public static func covering(_ address: VirtualAddress, byteCount: UInt64) -> VirtualPageRange? {
        guard let end = address.adding(byteCount), let roundedEnd = alignUp(end.raw, to: frameSize) else { return nil }
        return VirtualPageRange(
            uncheckedStart: VirtualAddress(alignDown(address.raw, to: frameSize)),
            end: VirtualAddress(roundedEnd))
    }

    @inlinable public var byteCount: UInt64 { end.raw - start.raw }
    @inlinable public var pageCount: UInt64 { byteCount >> frameShift }
    @inlinable public var isEmpty: Bool { start == end }

    @inlinable public func contains(_ address: VirtualAddress) -> Bool { start <= address && address < end }

    /// True when every page of `other` is a page of this range (an empty `other` is contained
    /// when it lies within [start, end]).
    @inlinable public func contains(_ other: VirtualPageRange) -> Bool {
        start <= other.start && other.end <= end
    }

    /// True when the two ranges share at least one page (so never when either is empty).
    @inlinable public func overlaps(_ other: VirtualPageRange) -> Bool {
        start < other.end && other.start < end && !isEmpty && !other.isEmpty
    }
}

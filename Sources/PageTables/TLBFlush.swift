// A TLB invalidation owed after a page-table change, as a value the caller must consume.
//
// Every range operation that changes translations (mapRange, mapContiguous, unmapRange,
// unmapRegion, protectRegion) returns a `TLBFlush` naming the virtual range it changed. The type
// is ~Copyable, so the obligation cannot be duplicated and flushed once for two changes; the
// result is not discardable, so ignoring it is a compiler warning (an error where the build
// treats warnings as errors); and it is settled by exactly one of two consuming calls:
//   flush(_:)    invalidate every page of the range through the caller's invalidator, or
//   discard(_:)  decide, with a named reason, that no invalidation is needed.
// (The x86_64 crate's `#[must_use] MapperFlush`, in Swift's ownership terms.)

import MemoryCore

/// Invalidates cached translations (the kernel: `invlpg`; host models: a recorder or nothing).
public protocol TLBInvalidator {
    /// Drops any cached translation of the page containing `page`.
    func invalidate(page: VirtualAddress)
}

/// Why a change needs no invalidation.
public enum FlushWaiver: Hashable, Sendable {
    /// Every changed entry was not present before: x86 never caches a not-present translation.
    case entriesWereNotPresent
    /// The address space is not loaded in CR3 on any CPU (built before first use, or a model on
    /// the host with no TLB), so no stale translation can exist.
    case addressSpaceNotLoaded
}

/// The pages whose translations changed: `pageCount` pages of `pageSize` from `start`.
public struct TLBFlush: ~Copyable {
    public let start: VirtualAddress
    public let pageCount: UInt64
    public let pageSize: PageSize
    /// Bytes whose translation changed (for unmapRegion: the bytes actually unmapped, holes excluded).
    public let changedBytes: UInt64

    init(start: VirtualAddress, pageCount: UInt64, pageSize: PageSize, changedBytes: UInt64) {
        self.start = start
        self.pageCount = pageCount
        self.pageSize = pageSize
        self.changedBytes = changedBytes
    }

    /// Invalidates every page of the range, in address order.
    public consuming func flush(_ invalidator: some TLBInvalidator) {
        for index in 0 ..< pageCount {
            invalidator.invalidate(page: VirtualAddress(start.raw &+ index &* pageSize.bytes))
        }
    }

    /// Settles the obligation without invalidating, for the stated reason.
    public consuming func discard(_ reason: FlushWaiver) {}
}

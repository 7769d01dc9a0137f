// The two page sizes this module maps. (1 GiB pages exist on CPUs with pdpe1gb but are not used.)

import MemoryCore

/// The size of one mapping: a 4 KiB page (a PTE) or a 2 MiB page (a PDE with PS set).
public enum PageSize: Hashable, Sendable, CaseIterable {
    case size4KiB
    case size2MiB

    /// Bytes covered: 4096 or 2 097 152.
    @inlinable public var bytes: UInt64 { self == .size4KiB ? 4 * KiB : 2 * MiB }

    /// Frames covered: 1 or 512. A frame given for this size must be a multiple of it.
    @inlinable public var frameCount: UInt64 { bytes >> frameShift }

    /// The table level whose entries are the leaves of this size.
    @inlinable public var leafLevel: PageTableLevel { self == .size4KiB ? .pt : .pd }
}

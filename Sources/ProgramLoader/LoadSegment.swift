// One segment of a load plan: which pages to map with which rights, which file bytes to copy
// where, and which bytes to zero.

import MemoryCore
import PageTables

/// A validated PT_LOAD segment. How the kernel loads it:
///   1. map `pages` with `pageFlags` (fresh frames),
///   2. copy file[fileOffset ..< fileOffset + fileByteCount] to virtualAddress (`fileBytes(in:)`),
///   3. zero every other byte of `pages`: the `leadingZeroByteCount` bytes before virtualAddress
///      and the `trailingZeroByteCount` bytes from `zeroFillStart` (the .bss, then the tail of
///      the last page), so no stale frame contents reach user space.
/// Invariant: leadingZeroByteCount + fileByteCount + trailingZeroByteCount = pages.byteCount.
public struct LoadSegment: Hashable, Sendable {
    /// Position of the segment's program header in the file's table (for the log).
    public let programHeaderIndex: Int
    /// p_vaddr: where the segment's first byte goes (not necessarily page-aligned).
    public let virtualAddress: VirtualAddress
    /// p_memsz: bytes the segment occupies in memory (> 0).
    public let memoryByteCount: UInt64
    /// p_offset: where the bytes to copy start in the file.
    public let fileOffset: UInt64
    /// p_filesz: bytes to copy (<= memoryByteCount); the rest of memoryByteCount is zero.
    public let fileByteCount: UInt64
    /// p_flags: always readable, never both writable and executable.
    public let permissions: SegmentPermissions
    /// [alignDown(virtualAddress), alignUp(virtualAddress + memoryByteCount)): the pages to map.
    public let pages: VirtualPageRange

    /// Leaf flags for every page of `pages`: present | user | writable iff W | noExecute iff not X.
    @inlinable public var pageFlags: PageFlags { permissions.pageFlags }

    /// p_memsz - p_filesz: the .bss bytes (zero-initialised data) right after the copied bytes.
    @inlinable public var zeroFillByteCount: UInt64 { memoryByteCount - fileByteCount }

    /// virtualAddress + fileByteCount: the first byte after the copied ones.
    @inlinable public var zeroFillStart: VirtualAddress { VirtualAddress(virtualAddress.raw + fileByteCount) }

    /// virtualAddress - pages.start: bytes of the first page before the segment.
    @inlinable public var leadingZeroByteCount: UInt64 { virtualAddress.raw - pages.start.raw }

    /// pages.end - zeroFillStart: the .bss plus the rest of the last page.
    @inlinable public var trailingZeroByteCount: UInt64 { pages.end.raw - zeroFillStart.raw }

    /// True when `address` is one of the segment's bytes, [virtualAddress, virtualAddress + memsz).
    @inlinable public func containsByte(_ address: VirtualAddress) -> Bool {
        virtualAddress <= address && address.raw - virtualAddress.raw < memoryByteCount
    }
}

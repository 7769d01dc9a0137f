// Where a UserHeap's pages come from.
//
// In a SwiftMM user program the implementation wraps the kernel's map/unmap memory syscalls (it
// lives in User/); the host tests use a recording fake over a buffer, the benchmark uses the
// host's mmap/munmap. The heap is generic over the source (never `any PageSource`: Embedded Swift
// has no existentials of non-class protocols), so every call is specialised and inlined.

/// The size of one virtual page: every mapping's length is a multiple of it.
public let userPageSize: Int = 4096

/// A supplier of zero-filled, read-write virtual memory in whole pages.
public protocol PageSource {
    /// Maps `byteCount` bytes at an address that is a multiple of `alignment`.
    ///
    /// Contract: `byteCount` is a positive multiple of `userPageSize`; `alignment` is a power of
    /// two >= `userPageSize`. The returned memory is readable, writable and reads as zero.
    /// Returns nil when the memory cannot be provided (out of memory); nothing changes then.
    mutating func mapPages(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer?

    /// mapPages for memory the heap will write through soon (a span or a medium region, never a
    /// large block or the granule map): a source may bring every page in now, in the one call
    /// (Linux: MAP_POPULATE), rather than take one page fault per page at its first touch. Same
    /// contract as mapPages. The default (an extension below) is mapPages.
    mutating func mapPagesForUse(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer?

    /// Returns one whole earlier mapping: `pointer` and `byteCount` are exactly what an earlier
    /// `mapPages` call returned and was asked for. The heap never unmaps part of a mapping.
    mutating func unmapPages(_ pointer: UnsafeMutableRawPointer, byteCount: Int)

    /// Resizes the earlier mapping [pointer, pointer + oldByteCount) to `newByteCount` bytes and
    /// keeps its bytes WITHOUT copying them: it grows or shrinks in place, or its pages move (the
    /// kernel's `remap`, Linux's mremap) to an address that is a multiple of `alignment`. Returns
    /// the mapping's (possibly new) address; the old one is then no longer mapped. Returns nil,
    /// the mapping unchanged, when the source cannot (no memory, or no such operation: the heap
    /// then copies). Contract: the sizes are positive multiples of `userPageSize`; `alignment` as
    /// for mapPages; `pointer` and `oldByteCount` are a whole earlier mapping. The heap uses it on
    /// large blocks (realloc, the large cache) and to recycle an idle mapping into a new span,
    /// region or large mapping (UserHeap+Mapping.swift); it passes only a `pointer` that already
    /// has the alignment, so a source that resizes in place keeps it.
    mutating func remapPages(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer?
}

extension PageSource {
    /// By default, memory to use soon is mapped as any other: its pages come in on first touch.
    @inlinable public mutating func mapPagesForUse(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        mapPages(byteCount: byteCount, alignment: alignment)
    }
}

// Where a heap's memory comes from: the frame allocator over identity-mapped RAM in the kernel,
// posix_memalign'd buffers in host tests and benchmarks.

/// Hands out and takes back naturally aligned contiguous memory. Used as a generic constraint
/// (`BuddyHeap<Source: ArenaSource>`), never as `any ArenaSource` (Embedded Swift).
public protocol ArenaSource {
    /// A region of `byteCount` bytes (a power of two) aligned to `byteCount`, or nil when memory
    /// is exhausted. The heap owns the region until it hands it back with `releaseArena`.
    mutating func allocateArena(byteCount: Int) -> UnsafeMutableRawPointer?

    /// Takes back a region from `allocateArena`, with the same byte count.
    mutating func releaseArena(_ base: UnsafeMutableRawPointer, byteCount: Int)

    /// A region of `byteCount` bytes (a positive multiple of 4096) aligned to `alignment` (a power
    /// of two, at least 4096), or nil. Serves requests above the heap's largest block.
    mutating func allocateLarge(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer?

    /// Takes back a region from `allocateLarge`, with the same byte count.
    mutating func releaseLarge(_ base: UnsafeMutableRawPointer, byteCount: Int)
}

// Named slab caches for the kernel's own frequent objects, chosen by measurement: the sizes of a
// default boot's kernel-heap requests (`make run LOG=trace`, every `heap alloc` line counted by
// size and alignment; the note of issue 10 gives the table). The Swift runtime asks for memory by
// size and alignment only (swift_slowAlloc -> posix_memalign), so a named cache serves every
// request of exactly its size and alignment, whoever makes it; its name says which kernel object
// was measured at that size. Each one has slabs of its own and an exact object size, where the
// generic class would round up (process 793 -> 800, not 832) or the request would bypass the slabs
// (the FPU area's 64-byte alignment). A size that stops matching (a field added to Process) only
// sends those objects back to the generic classes: the shutdown report names every named cache
// with its allocation count (`heap cache`), and warns for one a boot with processes never used.
//
// Measured at 128M with the default programs (15 processes), after issue 9 (`make run LOG=trace`):
//   9 757 x 80 B   a one-region array (RegionMap's split/remove temporaries: 32 B header + one Region)
//   3 004 x 40 B   the demo's tree nodes
//      15 x 841 B  Process (its 480-byte LineBuffer inline, its HandleTable), 15 x 512 B aligned 64:
//                  its FXSAVE area
//   RegionMap arrays of 2/4/8/16/32/64/128 regions as they double: 32 B + n x MemoryLayout<Region>.stride.
// The region arrays' sizes are computed from Region's layout, so a field added to Region moves them
// with it; Process's size is a measured constant (a class instance's size has no query in Embedded
// Swift): the shutdown report's warning says when it stops matching.
import SlabHeap
import Syscalls

enum KernelObjectCaches {
    /// How many named caches (`entry` lists them).
    static let count = 6

    /// name, requested bytes, alignment: one named cache each (exact-size matches only).
    private static func entry(_ index: Int) -> (name: StaticString, bytes: Int, alignment: Int) {
        switch index {
        case 0: ("process", 841, 8)
        case 1: ("fpu-area", 512, 64)
        case 2: ("region-array-1", regionArrayBytes(1), 8)
        case 3: ("region-array-16", regionArrayBytes(16), 8)
        case 4: ("region-array-32", regionArrayBytes(32), 8)
        default: ("region-array-64", regionArrayBytes(64), 8)
        }
    }

    /// The bytes of a Swift array buffer of `regions` Regions: a 32-byte header (object header,
    /// count, capacity), then the elements.
    private static func regionArrayBytes(_ regions: Int) -> Int { 32 + regions * MemoryLayout<Region>.stride }

    nonisolated(unsafe) private static var ids = InlineArray<6, SlabCacheID?>(repeating: nil)

    static func create(in heap: inout SlabHeap<FrameArenaSource>) {
        for index in 0 ..< count {
            let (name, bytes, alignment) = entry(index)
            ids[index] = heap.createCache(name: name, objectBytes: bytes, alignment: max(alignment, 16))
        }
    }

    /// The named cache for a request of exactly its size, aligned no more than it, or nil.
    @inline(__always) static func cache(byteCount: Int, alignment: Int) -> SlabCacheID? {
        for index in 0 ..< count {
            let (_, bytes, cacheAlignment) = entry(index)
            if byteCount == bytes && alignment <= max(cacheAlignment, 16) { return ids[index] }
        }
        return nil
    }

    /// A named cache's object when one matches the request, else the heap's general path.
    @inline(__always)
    static func allocate(byteCount: Int, alignment: Int, from heap: inout SlabHeap<FrameArenaSource>) -> UnsafeMutableRawPointer?
    {
        if let cache = cache(byteCount: byteCount, alignment: alignment) { return heap.allocate(from: cache) }
        return heap.allocate(byteCount: byteCount, alignment: alignment)
    }

    /// True when cache `index` of the heap is one of these (for the report's warning).
    static func isNamed(_ index: Int) -> Bool {
        for slot in 0 ..< count where ids[slot]?.index == index { return true }
        return false
    }
}

// The size classes of the generic caches: 16-byte steps up to 256 bytes, then 8 classes per
// doubling (steps of 1/8 of the power of two below) up to the largest class, so rounding a
// request up wastes at most 1/8 of it (6.25 % on average for sizes spread evenly in a doubling,
// half that by bytes near the top). Classes up to 4096 bytes: 16 + 8 * 4 = 48 classes.
//
//   size <= 256:  class (size - 1) / 16, bytes 16 * (class + 1)
//   size  > 256:  with p = floor(log2(size - 1)) (8 ... 11) and step = 2^(p - 3):
//                 class 16 + 8 * (p - 8) + ((size - 1) >> (p - 3)) - 8,
//                 bytes (((size - 1) >> (p - 3)) + 1) * step

/// The largest size class a slab heap may have (its slabs must hold several such objects).
public let largestSlabClassBytes = 4096
/// Number of generic size classes up to largestSlabClassBytes.
public let slabClassCount = 48

@usableFromInline enum SlabSizeClasses {
    /// The class of a request of 1 ... largestSlabClassBytes bytes (0 is served as 1).
    @inlinable @inline(__always) static func classIndex(forBytes byteCount: Int) -> Int {
        let last = max(byteCount, 1) &- 1
        if last < 256 { return last >> 4 }
        let power = Int.bitWidth &- 1 &- last.leadingZeroBitCount
        return 16 &+ 8 &* (power &- 8) &+ (last >> (power &- 3)) &- 8
    }

    /// The object size of class `index` (0 ..< slabClassCount).
    static func bytes(ofClass index: Int) -> Int {
        if index < 16 { return 16 * (index + 1) }
        let power = 8 + (index - 16) / 8
        let step = 1 << (power - 3)
        return (8 + (index - 16) % 8 + 1) * step
    }
}

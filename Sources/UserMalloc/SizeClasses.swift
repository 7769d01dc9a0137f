// The small size classes: 48 classes from 16 to 4096 bytes.
//
// Classes 0..7 step by 16 bytes (16, 32, ..., 128); from 128 on, every doubling is split into 8
// equal steps (12.5 %): 144, 160, ..., 256, 288, ..., 512, ..., 1024, ..., 2048, ..., 4096. Every class size is a
// multiple of 16, so every slot is 16-byte aligned. Worst-case internal waste is 15 bytes below
// 128 and < 12.5 % above. The mapping is arithmetic (a leading-zero count and two shifts), so
// malloc needs no table lookup:
//   size <= 128: class = (size + 15) / 16 - 1            (size 0 behaves as size 1)
//   size  > 128: s = size - 1, f = floor(log2 s),  class = 8 + 8 (f - 7) + ((s >> (f - 3)) & 7)
//   classSize(c >= 8) = 2^f + (k + 1) 2^(f-3)  with  f = 7 + (c - 8) / 8,  k = (c - 8) % 8
//
// Measured in round 21, not landed: 56 classes up to 8192 bytes (the same arithmetic one doubling
// further; the reciprocal stays exact up to 2^13), so that the real programs' common medium
// sizes take the small tier's fast paths (git-log's 7 168-byte blocks, 14 894 of its 30 936
// medium mallocs per replay; gcc's 8 032, swiftc's 5 120, sqlite's 4 368 and 4 112). Instructions
// fell as expected (git-log's replay 41.9 -> 38.0 M Ir: medium free 4.85 -> 2.10 M, malloc 4.04
// -> 1.74 M), but time did not follow (ratio_vs_best_peer, 3 interleaved runs: git-log 0.78 ->
// 0.77, gcc 0.86 -> 0.88, sqlite-index 0.98 -> 0.94, clang-compile 1.02 -> 0.93, python-ast
// 0.96 -> 0.91, sample 1.36 -> 1.44) and footprints rose: gcc 1.46 -> 1.59, clang-compile 1.32
// -> 1.40, glibc-thread 2.71 -> 2.84, git-log 1.22 -> 1.28 (class rounding of up to 12.5 % and
// 8-16 KiB spans per class that grow by halves), and sqlite-index's maps 98 -> 313 per run.
// git-log's time is not only its instructions: it takes 1.36 page faults per 1 000 operations
// (the variant 1.81) where tcmalloc, which keeps its memory, takes none after its first replay;
// idle memory given back before peaks comes back as fresh pages (the Linux page source now maps
// spans and regions with MAP_POPULATE for that: Library/Source/MmapPageSource.swift).

/// The arithmetic of the small size classes.
public enum SizeClass {
    /// Number of small classes.
    @inlinable public static var count: Int { 48 }
    /// The largest size served from a small span; larger requests go to the medium regions.
    @inlinable public static var largestByteCount: Int { 4096 }

    /// The smallest class whose slots hold `byteCount` bytes. Precondition: byteCount <= 4096.
    @inline(__always)
    @inlinable public static func index(forByteCount byteCount: Int) -> Int {
        if byteCount <= 128 { return byteCount == 0 ? 0 : (byteCount &+ 15) &>> 4 &- 1 }
        let s = UInt64(truncatingIfNeeded: byteCount &- 1)
        let f = 63 &- s.leadingZeroBitCount
        return 8 &+ 8 &* (f &- 7) &+ Int(truncatingIfNeeded: (s &>> UInt64(f &- 3)) & 7)
    }

    /// The slot size of class `index` (0 ..< count).
    @inline(__always)
    @inlinable public static func byteCount(ofClass index: Int) -> Int {
        if index < 8 { return (index &+ 1) &<< 4 }
        let f = 7 &+ (index &- 8) &>> 3
        let k = (index &- 8) & 7
        return (1 &<< f) &+ (k &+ 1) &<< (f &- 3)
    }

    /// The first class at or above `index` whose size is a multiple of `alignment` (a power of
    /// two <= 4096). Slots of such a class are `alignment`-aligned when the span's slots start at
    /// an `alignment`-aligned offset (64: UserHeap uses this for alignments up to 64). Always
    /// exists: the power-of-two classes 16 ... 4096 qualify.
    @inlinable public static func index(atLeast index: Int, alignedTo alignment: Int) -> Int {
        var candidate = index
        while byteCount(ofClass: candidate) & (alignment &- 1) != 0 { candidate &+= 1 }
        return candidate
    }

    /// ceil(2^32 / slotSize): `(offset * reciprocal) >> 32 == offset / slotSize` exactly for every
    /// offset < 2^19 and slotSize <= 2^13 (error term offset * (reciprocal * size - 2^32) < 2^32),
    /// which covers every offset inside a 64 KiB span. Lets free() find a slot index without a
    /// division.
    @inlinable public static func reciprocal(ofSlotSize slotSize: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: ((UInt64(1) << 32) + UInt64(slotSize) - 1) / UInt64(slotSize))
    }

    /// offset / slotSize for the slot size whose reciprocal is given (exact for offsets inside a
    /// span: see reciprocal(ofSlotSize:)).
    @inline(__always)
    @inlinable public static func quotient(_ offset: UInt32, reciprocal: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(offset) &* UInt64(reciprocal)) &>> 32)
    }

    /// Whether `offset` (< 2^16) is a multiple of the slot size whose reciprocal is given:
    /// (offset * reciprocal) mod 2^32 < reciprocal (Lemire's divisibility test; checked
    /// exhaustively for every class and every offset inside a span by the tests). free() uses it
    /// to reject interior pointers with one multiply and no dependence on the slot size.
    @inline(__always)
    @inlinable public static func isMultiple(_ offset: UInt32, reciprocal: UInt32) -> Bool {
        offset &* reciprocal < reciprocal
    }
}

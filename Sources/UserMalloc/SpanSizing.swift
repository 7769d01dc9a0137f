// How big a new small span or medium region is: small at first, growing with what the class (or
// the medium tier) already holds, so a heap that touches many size classes lightly does not pay a
// 64 KiB span per class, while a busy class still ends up on 64 KiB spans (few slow-path visits,
// few page-source calls).
//
// Small spans (2^shift bytes, shift in 12 ... 16):
//   minimumShift(c) = the smallest shift whose span holds one slot of class c after the header
//                     (4 KiB for every class but 4096 bytes, which needs 8 KiB)
//   shift(c, held)  = clamp(floorLog2(held) - 1, minimumShift(c), 16)      (held > 0)
// where held = bytes of the spans already assigned to the class: each new span is the largest
// power of two <= half of what the class holds. The spans of a class thus go 4, 4, 4, 4, 8, 8,
// 16, 16, 32, 32, 64, 64, ... KiB: a new span is mapped only when the class's spans are full, so
// its span bytes stay below 1.5 times its need plus one minimum span, and a class that grows to
// n bytes costs about 2 log2(n / 4 KiB) maps. History, measured on larson-1000 (~16 KiB live per
// class): spans of ceilLog2(2 * held) (4, 8, 32, 64) ran 1.24x glibc at a footprint of 2.4;
// floorLog2(held) + 1 (4, 8, 16, 32, 64; until issue 10's footprint work) 1.1-1.2x at 1.73;
// this rule costs 3.5 more instructions per malloc there (callgrind: 64.2 -> 67.7) for a
// footprint of 1.54 (espresso 2.56 -> 2.19, glibc-simple 1.76 -> 1.56, larson-5000 1.40 -> 1.32).
// A lightly used class pays one 4 KiB span; whether that span is mostly slack does not matter,
// because a class that gets busy moves on to spans that are >= 15/16 slots.
//
// Medium regions (16 ... 256 KiB, powers of two): the smallest that holds the request and is at
// least the bytes the medium tier already holds (doubling), capped at 256 KiB. A program with one
// 5 KB block holds a 16 KiB region, not 256 KiB. (Growing by half, as spans do, was measured and
// undone: more, smaller regions fragment more: glibc-thread's medium peak 64 -> 80 KiB, git-log's
// footprint 1.75 -> 1.79.)

/// The size policy of new small spans and medium regions.
@usableFromInline enum SpanSizing {
    /// The smallest span shift with room for one slot of class `index` after the header.
    @inlinable static func minimumShift(forClass index: Int) -> Int {
        let slotSize = SizeClass.byteCount(ofClass: index)
        var shift = SpanRef.smallestShift
        while (1 << shift) - SpanRef.dataOffset < slotSize { shift += 1 }
        return shift
    }

    /// The shift of the next span of class `index`, which already holds `heldBytes` in spans.
    @inlinable static func shift(forClass index: Int, heldBytes: Int) -> Int {
        // floorLog2(held) - 1: the largest power of two <= held / 2.
        let grown = heldBytes <= 0 ? 0 : 62 - UInt64(heldBytes).leadingZeroBitCount
        return min(max(grown, minimumShift(forClass: index)), SpanRef.largestShift)
    }

    /// The bytes of a new medium region whose free block can serve a search from bin `bin`, when
    /// the medium tier already holds `heldBytes` in regions; nil when no region can.
    @inlinable static func regionByteCount(servingBin bin: Int, heldBytes: Int) -> Int? {
        let needed = MediumBins.lowestSize(ofBin: bin) + RegionRef.overheadBytes
        var bytes = RegionRef.smallestByteCount
        while bytes < needed || bytes < heldBytes {
            if bytes == RegionRef.alignment { return needed <= bytes ? bytes : nil }
            bytes <<= 1
        }
        return bytes
    }
}

// How big a new small span or medium region is: small at first, growing with what the class (or
// the medium tier) already holds, so a heap that touches many size classes lightly does not pay a
// 64 KiB span per class, while a busy class still ends up on 64 KiB spans (few slow-path visits,
// few page-source calls).
//
// Small spans (2^shift bytes, shift in 12 ... 16):
//   minimumShift(c) = the smallest shift whose span puts >= 3/4 of its bytes in slots of class c
//                     (4 KiB for most classes; 8 KiB for 2048-byte slots, 16 KiB for 4096)
//   shift(c, held)  = clamp(ceilLog2(held), minimumShift(c), 16)
// where held = bytes of the spans already assigned to the class. The spans of a class thus go
// 4, 4, 8, 16, 32, 64, 64, ... KiB: the class's span bytes stay below twice its peak need plus
// one minimum span, and a class that grows to n bytes costs about log2(n / 4 KiB) extra maps.
//
// Medium regions (64, 128 or 256 KiB): the smallest that holds the request and is at least the
// bytes the medium tier already holds (again doubling), capped at 256 KiB.

/// The size policy of new small spans and medium regions.
@usableFromInline enum SpanSizing {
    /// The smallest span shift that is at least 3/4 slots for class `index` (always exists: a
    /// 64 KiB span is >= 15/16 slots for every class).
    @inlinable static func minimumShift(forClass index: Int) -> Int {
        let slotSize = SizeClass.byteCount(ofClass: index)
        var shift = SpanRef.smallestShift
        while shift < SpanRef.largestShift {
            let slotBytes = ((1 << shift) - SpanRef.dataOffset) / slotSize * slotSize
            if slotBytes * 4 >= (1 << shift) * 3 { break }
            shift += 1
        }
        return shift
    }

    /// The shift of the next span of class `index`, which already holds `heldBytes` in spans.
    @inlinable static func shift(forClass index: Int, heldBytes: Int) -> Int {
        let grown = heldBytes <= 1 ? 0 : 64 - UInt64(heldBytes - 1).leadingZeroBitCount
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

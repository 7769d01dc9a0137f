// The size classes of the generic caches, each with its slab size, fitted to that slab.
//
// Slab size per class (SLUB's rule of a minimum object count): the smallest slab, from the
// heap's smallest to its largest, that holds at least `minimumObjectsPerSlab` (16) objects of the
// nominal size, so small classes keep small slabs (a cache's partly used slab costs at most one
// slab) and large classes get slabs whose fitted sizes lie at most 1/16 apart. In the kernel:
// 16 KiB slabs up to 960 bytes, 32 KiB up to 1 920, 64 KiB above.
//
// Nominal sizes: 16-byte steps up to 256 bytes, then 8 classes per doubling (steps of 1/8 of the
// power of two below) up to the largest class, so rounding a request up wastes at most 1/8 of it.
// Each nominal size is then fitted to the slab: n = how many objects of it fit after the header
// and bitmap, and the class becomes the largest multiple of 16 of which n still fit. The slab's
// unused tail is then under 16 bytes per object (for 4 096-byte objects in 64 KiB slabs it was a
// whole object: 15 fit, 4 016 bytes left), and a request just above a nominal size often lands in
// a class that holds as many objects per slab. Where a nominal size's fit exceeds the largest
// class (4 096 in 64 KiB slabs: 15 of 4 352), n grows until it fits (4 080: 16 per slab), and
// the largest size itself is one more class (4 096, 15 per slab): sent to the buddy heap instead,
// a 4 096-byte pair cost ~560 instructions more (callgrind). Classes that fit to the same size
// are one class.
//
// A request's class is one table load: classOfGranule[(size + 15) / 16], the smallest class that
// holds it (sizes 0 ... largestSlabClassBytes, so 257 entries; the table has 512 so that the
// index, masked with 511, needs no bounds check).

/// The largest size class a slab heap may have (its slabs must hold several such objects).
public let largestSlabClassBytes = 4096
/// The most generic size classes a heap can have (nominal sizes up to largestSlabClassBytes).
public let slabClassCount = 48

@usableFromInline struct SlabSizeClasses {
    /// Object bytes of each class, ascending (0 ..< count).
    @usableFromInline var bytes = InlineArray<64, UInt16>(repeating: 0)
    @usableFromInline var count = 0
    /// log2 of each class's slab bytes.
    @usableFromInline var slabShift = InlineArray<64, UInt8>(repeating: 0)
    /// The class of a request of 16 * (g - 1) + 1 ... 16 * g bytes (0 bytes: g = 0; entries above
    /// the largest class are unused: the heap sends those requests to the buddy heap before looking).
    @usableFromInline var classOfGranule = InlineArray<512, UInt8>(repeating: 0)

    /// Objects a class's slab holds at least, where the largest slab allows.
    static let minimumObjectsPerSlab = 16

    /// The fitted classes on slabs of 2^smallestSlabShift ... 2^largestSlabShift bytes, none above
    /// `largestBytes`.
    init(smallestSlabShift: Int, largestSlabShift: Int, largestBytes: Int) {
        var index = 0
        while index < slabClassCount, Self.nominalBytes(ofClass: index) <= largestBytes {
            let nominal = Self.nominalBytes(ofClass: index)
            var shift = smallestSlabShift
            while shift < largestSlabShift
                && SlabShape(objectBytes: nominal, slabBytes: 1 << shift).capacity < Self.minimumObjectsPerSlab
            {
                shift += 1
            }
            let fitted = Self.fit(nominal, slabBytes: 1 << shift, largestBytes: largestBytes)
            if count == 0 || Int(bytes[count - 1]) < fitted {
                bytes[count] = UInt16(fitted)
                slabShift[count] = UInt8(shift)
                count += 1
            }
            index += 1
        }
        if Int(bytes[count - 1]) < largestBytes {
            bytes[count] = UInt16(largestBytes)
            slabShift[count] = UInt8(largestSlabShift)
            count += 1
        }
        var granule = 0, current = 0
        while granule < 512 {
            while current < count - 1 && Int(bytes[current]) < granule * 16 { current += 1 }
            classOfGranule[granule] = UInt8(current)
            granule += 1
        }
    }

    /// The largest class size.
    @usableFromInline var largest: Int { Int(bytes[count - 1]) }

    /// The class of a request of 0 ... largest bytes.
    @inlinable @inline(__always) func classIndex(forBytes byteCount: Int) -> Int {
        Int(classOfGranule[Self.granule(of: byteCount)])
    }

    /// The classOfGranule entry of a request of 0 ... largest bytes (in range for any Int).
    @inlinable @inline(__always) static func granule(of byteCount: Int) -> Int { (byteCount &+ 15) >> 4 & 511 }

    /// The nominal size of class `index` (0 ..< slabClassCount).
    static func nominalBytes(ofClass index: Int) -> Int {
        if index < 16 { return 16 * (index + 1) }
        let power = 8 + (index - 16) / 8
        let step = 1 << (power - 3)
        return (8 + (index - 16) % 8 + 1) * step
    }

    /// The largest multiple of 16 (at most `largestBytes`) of which as many objects fit in a slab
    /// as of `nominal` (or one more, while the fit is above `largestBytes`).
    static func fit(_ nominal: Int, slabBytes: Int, largestBytes: Int) -> Int {
        var perSlab = SlabShape(objectBytes: nominal, slabBytes: slabBytes).capacity
        while true {
            let room = slabBytes - SlabShape.firstObject(16)
            let fitted = room / perSlab & ~15
            if fitted <= largestBytes { return fitted }
            perSlab += 1
        }
    }
}

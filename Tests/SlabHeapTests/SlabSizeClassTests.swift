// The fitted size classes: every request size maps to the smallest class that holds it, classes
// ascend in 16-byte multiples, and each class leaves a slab tail under 16 bytes per object (the
// fit), for the kernel's slabs and the small test heap's.
@testable import SlabHeap
import Testing

struct SlabSizeClassTests {
    @Test(arguments: [(14, 16, 4096), (16, 16, 4096), (10, 12, 128), (12, 12, 512)])
    func classesAreFittedAndLookupIsExact(smallestShift: Int, largestShift: Int, largest: Int) {
        let classes = SlabSizeClasses(smallestSlabShift: smallestShift, largestSlabShift: largestShift, largestBytes: largest)
        #expect(classes.count > 1 && classes.largest <= largest)
        for index in 0 ..< classes.count {
            let bytes = Int(classes.bytes[index])
            let slabBytes = 1 << Int(classes.slabShift[index])
            #expect(bytes % 16 == 0)
            #expect(slabBytes >= 1 << smallestShift && slabBytes <= 1 << largestShift)
            if index > 0 { #expect(bytes > Int(classes.bytes[index - 1])) }
            let shape = SlabShape(objectBytes: bytes, slabBytes: slabBytes)
            let tail = slabBytes - shape.firstObject - shape.capacity * bytes
            let isAddedTop = index == classes.count - 1 && bytes == largest
            #expect(tail >= 0 && (isAddedTop || tail < 16 * shape.capacity + 16), "class \(bytes): tail \(tail)")
        }
        for size in 1 ... classes.largest {
            let index = classes.classIndex(forBytes: size)
            #expect(Int(classes.bytes[index]) >= size, "size \(size)")
            if index > 0 { #expect(Int(classes.bytes[index - 1]) < size, "size \(size) not in the smallest class") }
        }
    }

    /// The kernel's geometry: 16 ... 64 KiB slabs, every class at least 16 per slab (4 080: 16 in
    /// 64 KiB) but the largest size itself, 4 096 (15).
    @Test func kernelClassesHoldSixteenPerSlab() {
        let classes = SlabSizeClasses(smallestSlabShift: 14, largestSlabShift: 16, largestBytes: 4096)
        #expect(classes.largest == 4096 && classes.bytes[classes.count - 2] == 4080)
        for index in 0 ..< classes.count - 1 {
            let shape = SlabShape(objectBytes: Int(classes.bytes[index]), slabBytes: 1 << Int(classes.slabShift[index]))
            #expect(shape.capacity >= SlabSizeClasses.minimumObjectsPerSlab, "class \(classes.bytes[index])")
        }
        #expect(classes.slabShift[classes.classIndex(forBytes: 960)] == 14)
        #expect(classes.slabShift[classes.classIndex(forBytes: 4000)] == 16)
    }

    /// The slot-start test free makes (a multiply and a compare) agrees with the division for
    /// every object size a cache can have (multiples of 16 up to 4 096) at every offset of the
    /// largest slab.
    @Test func slotStartTestIsExact() {
        for objectBytes in stride(from: 16, through: 4096, by: 16) {
            let shape = SlabShape(objectBytes: objectBytes, slabBytes: 1 << 16)
            for offset in 0 ..< UInt64(1 << 16) where shape.isSlotStart(offset) != (offset % UInt64(objectBytes) == 0) {
                Issue.record("object \(objectBytes), offset \(offset)")
                return
            }
        }
    }
}

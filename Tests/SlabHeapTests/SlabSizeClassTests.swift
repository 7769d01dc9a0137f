// The fitted size classes: every request size maps to the smallest class that holds it, classes
// ascend in 16-byte multiples, and each class leaves a slab tail under 16 bytes per object (the
// fit), for the kernel's slabs and the small test heap's.
@testable import SlabHeap
import Testing

struct SlabSizeClassTests {
    @Test(arguments: [(16, 4096), (10, 128), (12, 512)])
    func classesAreFittedAndLookupIsExact(slabShift: Int, largest: Int) {
        let slabBytes = 1 << slabShift
        let classes = SlabSizeClasses(slabBytes: slabBytes, largestBytes: largest)
        #expect(classes.count > 1 && classes.largest <= largest)
        for index in 0 ..< classes.count {
            let bytes = Int(classes.bytes[index])
            #expect(bytes % 16 == 0)
            if index > 0 { #expect(bytes > Int(classes.bytes[index - 1])) }
            let shape = SlabShape(objectBytes: bytes, slabBytes: slabBytes)
            let tail = slabBytes - shape.firstObject - shape.capacity * bytes
            #expect(tail >= 0 && tail < 16 * shape.capacity + 16, "class \(bytes): tail \(tail)")
        }
        for size in 1 ... classes.largest {
            let index = classes.classIndex(forBytes: size)
            #expect(Int(classes.bytes[index]) >= size, "size \(size)")
            if index > 0 { #expect(Int(classes.bytes[index - 1]) < size, "size \(size) not in the smallest class") }
        }
    }

    @Test func kernelSlabsTopClassHoldsSixteen() {
        let classes = SlabSizeClasses(slabBytes: 1 << 16, largestBytes: 4096)
        #expect(classes.largest == 4080)
        #expect(SlabShape(objectBytes: classes.largest, slabBytes: 1 << 16).capacity == 16)
    }
}

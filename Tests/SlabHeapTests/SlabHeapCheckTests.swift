// The checks free makes on the slab fast paths, in the cases the random sessions rarely reach:
// a live object whose bytes equal the free marker (must free, never report), double frees of
// objects on the active slab's list (the cache's) and on other slabs' lists, and use-after-free
// writes caught with poisoning on (which the fast paths leave to the slow path).
import BuddyHeap
import MemoryCore
@testable import SlabHeap
import Testing

/// An object of `bytes` bytes, or the test fails.
private func take(_ heap: inout TestSlabHeap, _ bytes: Int) throws -> UnsafeMutableRawPointer {
    let object = heap.allocate(byteCount: bytes)
    return try #require(object)
}

struct SlabHeapCheckTests {
    @Test func liveObjectHoldingTheMarkerIsFreedNotReported() throws {
        var heap = try makeSmallSlabHeap()
        let object = try take(&heap, 48)
        let address = UInt64(UInt(bitPattern: object))
        object.storeBytes(of: SlabMemory.marker(address, secret: heap.secret), toByteOffset: 8, as: UInt64.self)
        #expect(throws: Never.self) { try heap.free(object) }
        #expect(heap.checkInvariants() == nil)
        #expect(throws: HeapError.doubleFree(VirtualAddress(address))) { try heap.free(object) }
        #expect(heap.statistics.liveObjects == 0 && heap.statistics.errorsDetected == 1)
    }

    @Test func doubleFreesAreCaughtOnEveryList() throws {
        var heap = try makeSmallSlabHeap()
        // Four slabs' worth of 64-byte objects: the last slab is active, the others full; freeing
        // every other object puts some on the cache's list and some on the other slabs' lists.
        let perSlab = heap.cacheStatistics(Int(heap.classOfGranule[SlabSizeClasses.granule(of: 64)])).objectsPerSlab
        var objects: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 4 * perSlab { objects.append(try take(&heap, 64)) }
        #expect(heap.statistics.slabsHeld == 4)
        for (index, object) in objects.enumerated() where index % 2 == 0 { try heap.free(object) }
        #expect(heap.checkInvariants() == nil)
        for (index, object) in objects.enumerated() where index % 2 == 0 {
            #expect(throws: HeapError.doubleFree(VirtualAddress(UInt64(UInt(bitPattern: object))))) { try heap.free(object) }
        }
        #expect(heap.checkInvariants() == nil)
        #expect(heap.statistics.liveObjects == 2 * perSlab && heap.statistics.errorsDetected == 2 * perSlab)
        for (index, object) in objects.enumerated() where index % 2 == 1 { try heap.free(object) }
        heap.trim()
        #expect(heap.checkInvariants() == nil && heap.statistics.slabsHeld == 0)
    }

    @Test func theOldestPartialSlabBecomesActiveNext() throws {
        var heap = try makeSmallSlabHeap()
        let index = Int(heap.classOfGranule[SlabSizeClasses.granule(of: 64)])
        let perSlab = heap.cacheStatistics(index).objectsPerSlab
        var objects: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 3 * perSlab { objects.append(try take(&heap, 64)) }
        let shape = heap.caches[index].shape
        let slabs = (0 ..< 3).map { shape.slab(holding: UInt64(UInt(bitPattern: objects[$0 * perSlab]))) }
        #expect(heap.caches[index].activeSlab == slabs[2])
        // Slab 0 becomes partial first (two frees), then slab 1 (one free).
        try heap.free(objects[0])
        try heap.free(objects[1])
        try heap.free(objects[perSlab])
        #expect(heap.caches[index].partial.head == slabs[0] && heap.caches[index].partial.tail == slabs[1])
        #expect(heap.checkInvariants() == nil)
        // The active slab is full: the next object comes from slab 0, the partial one the longest.
        let next = try take(&heap, 64)
        #expect(shape.slab(holding: UInt64(UInt(bitPattern: next))) == slabs[0])
        #expect(heap.caches[index].activeSlab == slabs[0])
        #expect(heap.caches[index].partial.head == slabs[1] && heap.caches[index].partial.tail == slabs[1])
        #expect(heap.checkInvariants() == nil)
        // A wrong tail is a broken invariant.
        heap.caches[index].partial.tail = 0
        #expect(heap.checkInvariants() == .partialListMismatch(cache: index))
        heap.caches[index].partial.tail = slabs[1]
        #expect(heap.checkInvariants() == nil)
    }

    @Test func poisoningCatchesWritesAfterFree() throws {
        var heap = try makeSmallSlabHeap()
        let warm = try take(&heap, 64)  // an active slab before the switch
        heap.debugOptions = [.poisonFreed]
        #expect(heap.checkInvariants() == nil)
        for offset in [8, 40] {  // the marker word, then the poisoned bytes
            let object = try take(&heap, 64)
            try heap.free(object)
            object.storeBytes(of: 0xBAD, toByteOffset: offset, as: UInt64.self)
            let again = try take(&heap, 64)
            #expect(again == object)
            try heap.free(again)
        }
        #expect(heap.heapStatistics.useAfterFreeWrites == 2)
        heap.debugOptions = []
        try heap.free(warm)
        #expect(heap.checkInvariants() == nil)
    }
}

// Every invalid free is reported with its own error and leaves the heap byte-for-byte unchanged.

#if canImport(Glibc)
import Glibc
#endif
import Testing
import MemoryCore
@testable import BuddyHeap

@Suite struct ErrorTests {
    /// Frees `pointer`, expects `expected`, and checks that only the error counter moved.
    func expectRejected(
        _ heap: inout TestHeap, _ pointer: UnsafeMutableRawPointer, _ expected: HeapError,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let before = HeapSnapshot(heap)
        #expect(freeError(&heap, pointer) == expected, sourceLocation: sourceLocation)
        #expect(HeapSnapshot(heap) == before.withInvalidFrees(1), sourceLocation: sourceLocation)
        #expect(heap.blockByteCount(of: pointer) == nil, sourceLocation: sourceLocation)
        expectValid(heap, sourceLocation: sourceLocation)
    }

    @Test(arguments: [nil, BlockOrder(3)])
    func doubleFree(cachedOrderLimit: BlockOrder?) {
        var heap = makeHeap(cachedOrderLimit: cachedOrderLimit)
        let keep = mustAllocate(&heap, 16)
        let p = mustAllocate(&heap, 64)
        mustFree(&heap, p)
        expectRejected(&heap, p, .doubleFree(address(p)))
        mustFree(&heap, keep)
    }

    @Test func foreignPointers() {
        var heap = makeHeap()
        let keep = mustAllocate(&heap, 16)
        let outside = malloc(64)!
        expectRejected(&heap, outside, .foreignPointer(address(outside)))
        Glibc.free(outside)
        var local = 0
        withUnsafeMutableBytes(of: &local) { buffer in
            expectRejected(&heap, buffer.baseAddress!, .foreignPointer(address(buffer.baseAddress!)))
        }
        mustFree(&heap, keep)
    }

    @Test func lowAddressesAreForeignEvenBeforeAnyFree() {
        // Regression: "no recent arena" must not look like an arena at address 0.
        var fresh = makeHeap()
        let low = UnsafeMutableRawPointer(bitPattern: 0x1000)!
        expectRejected(&fresh, low, .foreignPointer(address(low)))
        var heap = makeHeap()
        let keep = mustAllocate(&heap, 16)
        expectRejected(&heap, low, .foreignPointer(address(low)))
        expectRejected(&heap, UnsafeMutableRawPointer(bitPattern: 16)!, .foreignPointer(VirtualAddress(16)))
        mustFree(&heap, keep)
    }

    @Test func interiorAndMisalignedPointers() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 64)
        expectRejected(&heap, p + 16, .interiorPointer(address(p + 16), blockStart: address(p)))
        expectRejected(&heap, p + 48, .interiorPointer(address(p + 48), blockStart: address(p)))
        expectRejected(&heap, p + 1, .misalignedPointer(address(p + 1)))
        expectRejected(&heap, p + 8, .misalignedPointer(address(p + 8)))
        mustFree(&heap, p)
    }

    @Test func pointerInsideAFreeOrCachedBlock() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3))
        let keep = mustAllocate(&heap, 16)
        let base = onlyArenaBase(heap)
        // The 2 KiB block at 2048 is free.
        expectRejected(&heap, base + 2048 + 32, .neverAllocated(address(base + 2048 + 32)))
        let cached = mustAllocate(&heap, 128)
        mustFree(&heap, cached)
        #expect(heap.statistics.cachedBlocks.total == 1)
        expectRejected(&heap, cached + 64, .neverAllocated(address(cached + 64)))
        mustFree(&heap, keep)
    }

    @Test func pointersIntoTheCarvedMetadata() {
        var heap = makeHeap()
        let keep = mustAllocate(&heap, 16)
        let base = onlyArenaBase(heap)
        expectRejected(&heap, base, .heapMetadataPointer(address(base)))
        expectRejected(&heap, base + 64, .heapMetadataPointer(address(base + 64)))
        expectRejected(&heap, base + 128, .heapMetadataPointer(address(base + 128)))
        mustFree(&heap, keep)
        #expect(heap.statistics.invalidFrees == 3)
        #expect(heap.statistics.errorsDetected == 3)
    }

    @Test func freeAfterTheArenaWentBackIsForeign() {
        var heap = makeHeap(retained: 0)
        let p = mustAllocate(&heap, 16)
        mustFree(&heap, p)
        #expect(heap.statistics.arenasHeld == 0)
        expectRejected(&heap, p, .foreignPointer(address(p)))
    }
}

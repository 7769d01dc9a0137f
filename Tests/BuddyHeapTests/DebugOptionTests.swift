// Poison on free / verify on allocation (use-after-free detection without a trap), the
// allocation fill, and switching poisoning on while blocks are already free.

import Testing
import MemoryCore
import TestSupport
@testable import BuddyHeap

@Suite struct DebugOptionTests {
    @Test(arguments: [nil, BlockOrder(3)])
    func useAfterFreeWriteIsDetectedOnReallocation(cachedOrderLimit: BlockOrder?) {
        var heap = makeHeap(cachedOrderLimit: cachedOrderLimit, debug: .poisonFreed)
        let keep = mustAllocate(&heap, 16)
        let p = mustAllocate(&heap, 64)
        mustFree(&heap, p)
        #expect(p.load(fromByteOffset: 40, as: UInt8.self) == HeapDebugOptions.poisonByte)
        expectValid(heap)
        p.storeBytes(of: 0x42, toByteOffset: 40, as: UInt8.self)  // the bug: a write after free
        #expect(heap.checkInvariants() == .poisonDamaged(block: address(p), offset: 40))
        let again = mustAllocate(&heap, 64)
        #expect(again == p)
        #expect(heap.statistics.useAfterFreeWrites == 1)
        #expect(heap.statistics.errorsDetected == 1)
        #expect(heap.lastEvent == .useAfterFreeWrite(block: address(p), order: BlockOrder(2), offset: 40))
        expectValid(heap)
        mustFree(&heap, again)
        mustFree(&heap, keep)
        expectValid(heap)
    }

    @Test func poisonSurvivesSplitsAndMergesWithoutFalseAlarms() {
        var heap = makeHeap(arenaShift: 14, cachedOrderLimit: BlockOrder(2), cacheCapacity: 4, debug: .poisonFreed)
        var generator = SeededGenerator(seed: 7)
        var live: [UnsafeMutableRawPointer] = []
        for step in 0 ..< 4000 {
            if live.isEmpty || (live.count < 150 && generator.next() % 2 == 0) {
                let size = Int(generator.next() % 3000) + 1
                let p = mustAllocate(&heap, size)
                p.initializeMemory(as: UInt8.self, repeating: 0x11, count: size)
                live.append(p)
            } else {
                let index = Int(generator.next() % UInt64(live.count))
                live.swapAt(index, live.count - 1)
                mustFree(&heap, live.removeLast())
            }
            if step % 200 == 0 { expectValid(heap) }
        }
        for p in live { mustFree(&heap, p) }
        heap.coalesce()
        expectValid(heap)
        #expect(heap.statistics.useAfterFreeWrites == 0)
        #expect(heap.lastEvent == nil)
    }

    @Test func switchingPoisonOnPoisonsFreeBlocks() {
        var heap = makeHeap(cachedOrderLimit: BlockOrder(3))
        let keep = mustAllocate(&heap, 16)
        let p = mustAllocate(&heap, 128)
        p.initializeMemory(as: UInt8.self, repeating: 1, count: 128)
        mustFree(&heap, p)  // cached, unpoisoned
        heap.debugOptions = [.poisonFreed]
        expectValid(heap)
        let q = mustAllocate(&heap, 128)
        let r = mustAllocate(&heap, 1000)
        #expect(heap.statistics.useAfterFreeWrites == 0)
        for pointer in [q, r, keep] { mustFree(&heap, pointer) }
        heap.debugOptions = []
        expectValid(heap)
    }

    @Test func fillAllocatedPaintsNewBlocks() {
        var heap = makeHeap(debug: .fillAllocated)
        let p = mustAllocate(&heap, 100)
        let bytes = UnsafeRawBufferPointer(start: p, count: heap.blockByteCount(of: p)!)
        #expect(bytes.allSatisfy { $0 == HeapDebugOptions.allocatedByte })
        mustFree(&heap, p)
        expectValid(heap)
    }
}

// checkInvariants() must actually catch corruption: each test breaks one structure on purpose
// (through the internal side-table accessors), expects the matching violation, then repairs it.

import Testing
import MemoryCore
@testable import BuddyHeap

@Suite struct InvariantCheckTests {
    @Test func detectsABlockMarkedFreeBehindTheListsBack() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 64)
        let location = heap.core.node(of: address(p), order: 2)
        heap.core.setState(.free, arena: location.arena, node: location.node)
        let violation = heap.checkInvariants()
        #expect(violation != nil)
        heap.core.setState(.allocated, arena: location.arena, node: location.node)
        expectValid(heap)
        mustFree(&heap, p)
    }

    @Test func detectsUnmergedFreeBuddies() {
        var heap = makeHeap()
        let left = mustAllocate(&heap, 128)
        let right = mustAllocate(&heap, 128)
        // Put both halves on the free list without merging: what a buggy free would do.
        for block in [left, right] {
            let location = heap.core.node(of: address(block), order: 3)
            heap.core.setState(.free, arena: location.arena, node: location.node)
            heap.core.freeLists.push(address(block), order: 3)
        }
        heap.core.setLiveBlockCount(0, arena: address(onlyArenaBase(heap)))
        heap.core.counters.liveBlockBytes -= 256
        heap.core.counters.frees += 2
        heap.core.emptyArenaCount += 1
        #expect(heap.checkInvariants() == .unmergedFreeBuddies(block: address(left), order: BlockOrder(3)))
    }

    @Test func detectsAWrongArenaLiveCount() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 16)
        let arena = address(onlyArenaBase(heap))
        heap.core.setLiveBlockCount(5, arena: arena)
        #expect(heap.checkInvariants() == .arenaLiveCountWrong(arena: arena, recorded: 5, counted: 1))
        heap.core.setLiveBlockCount(1, arena: arena)
        mustFree(&heap, p)
        expectValid(heap)
    }

    @Test func detectsABrokenListLink() {
        var heap = makeHeap()
        let keep = mustAllocate(&heap, 16)
        let base = onlyArenaBase(heap)
        let freeBlock = base + 2048  // the order-7 free block; its back link is at +8
        let saved = freeBlock.load(fromByteOffset: 8, as: UInt64.self)
        freeBlock.storeBytes(of: 0xDEAD_0000, toByteOffset: 8, as: UInt64.self)
        #expect(heap.checkInvariants() == .listLinkBroken(.free, order: BlockOrder(7), block: address(freeBlock)))
        freeBlock.storeBytes(of: saved, toByteOffset: 8, as: UInt64.self)
        expectValid(heap)
        mustFree(&heap, keep)
    }

    @Test func detectsANestedBlockAndAccountingDrift() {
        var heap = makeHeap()
        let p = mustAllocate(&heap, 16)
        let location = heap.core.node(of: address(p), order: 0)
        let parent = location.node >> 1
        heap.core.setState(.allocated, arena: location.arena, node: parent)
        #expect(heap.checkInvariants() != nil)
        heap.core.setState(.notABlock, arena: location.arena, node: parent)
        expectValid(heap)
        heap.core.counters.liveBlockBytes += 16
        #expect(heap.checkInvariants() == .accountingWrong(.liveBlockBytes, recorded: 32, counted: 16))
        heap.core.counters.liveBlockBytes -= 16
        mustFree(&heap, p)
        expectValid(heap)
    }
}

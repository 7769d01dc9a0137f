// The granule map (SlabHeap+GranuleMap.swift): free finds an object's cache by one byte of the
// heap instead of the slab header. Tested here: more arenas than slots (the unmapped arenas take
// the cookie path and every free still works and is checked), slots handed to new arenas after
// theirs emptied, a damaged byte reported by the checker, stale pointers into a released slab
// refused, and the kernel's geometry (7 arenas of 8 MiB mapped).
import BuddyHeap
import MemoryCore
@testable import SlabHeap
import TestSupport
import Testing

struct SlabGranuleMapTests {
    /// Objects of `bytes` until the heap holds `arenas` arenas, checker after every allocation.
    private func fill(_ heap: inout TestSlabHeap, bytes: Int, arenas: Int) throws -> [UnsafeMutableRawPointer] {
        var objects: [UnsafeMutableRawPointer] = []
        while heap.buddy.statistics.arenaBytes < arenas * heap.buddy.arenaBytes {
            let object = heap.allocate(byteCount: bytes)
            objects.append(try #require(object))
            #expect(heap.checkInvariants() == nil)
        }
        return objects
    }

    private func mappedSlabs(_ heap: TestSlabHeap) -> Int {
        (0 ..< heap.granuleMapSlots).reduce(0) { $0 + heap.granuleMapSlabCounts[$1] }
    }

    @Test func moreArenasThanSlotsAreServedAndChecked() throws {
        var heap = try makeSmallSlabHeap()
        #expect(heap.granuleMapSlots == 8 && heap.granulesPerArena == 32)
        var objects = try fill(&heap, bytes: 96, arenas: 12)
        #expect(mappedSlabs(heap) > 0 && mappedSlabs(heap) < heap.statistics.slabsHeld)  // some arenas have no slot
        var rng = SeededGenerator(seed: 0x6A4E)
        while !objects.isEmpty {
            let object = objects.remove(at: Int(rng.next() % UInt64(objects.count)))
            try heap.free(object)
            #expect(heap.checkInvariants() == nil)
            #expect(throws: HeapError.self) { try heap.free(object) }  // never a silent second free
        }
        heap.trim()
        #expect(heap.checkInvariants() == nil && mappedSlabs(heap) == 0 && heap.statistics.slabsHeld == 0)
        // Slots freed by the trim are given to the arenas of a second fill.
        objects = try fill(&heap, bytes: 48, arenas: 3)
        #expect(mappedSlabs(heap) == heap.statistics.slabsHeld)
        for object in objects { try heap.free(object) }
        #expect(heap.checkInvariants() == nil)
    }

    @Test func damagedByteIsReported() throws {
        var heap = try makeSmallSlabHeap()
        let taken = heap.allocate(byteCount: 64)
        let object = try #require(taken)
        #expect(heap.checkInvariants() == nil)
        let found = heap.granuleMapSlot(ofArena: UInt64(UInt(bitPattern: object)) & heap.arenaMask)
        let slot = try #require(found)
        let granule = slot * heap.granulesPerArena + heap.granuleIndex(of: UInt64(UInt(bitPattern: object)))
        let good = heap.granuleCaches[granule]
        #expect(good != unknownCache)
        heap.granuleCaches[granule] = good &+ 1
        #expect(heap.checkInvariants() == .granuleMapMismatch(slot: slot))
        heap.granuleCaches[granule] = good
        heap.granuleCaches[(granule + 1) % heap.granulesPerArena + slot * heap.granulesPerArena] = 0  // no slab there
        #expect(heap.checkInvariants() != nil)
    }

    @Test func stalePointerIntoAReleasedSlabIsRefused() throws {
        var heap = try makeSmallSlabHeap()
        let first = heap.allocate(byteCount: 32), second = heap.allocate(byteCount: 112)
        let keep = try #require(first)  // keeps the arena held
        let large = try #require(second)
        try heap.free(large)
        heap.trim()  // the 112-byte class's slab goes back; its granules are cleared
        #expect(heap.checkInvariants() == nil)
        let before = heap.heapStatistics.invalidFrees
        #expect(throws: HeapError.self) { try heap.free(large) }
        #expect(heap.heapStatistics.invalidFrees == before + 1 && heap.checkInvariants() == nil)
        try heap.free(keep)
    }

    @Test func kernelGeometryMapsSevenArenas() {
        #expect(TestSlabHeap.granuleMapSlotCount(arenaShift: 23, granuleShift: 14) == 7)
        #expect(TestSlabHeap.granuleMapSlotCount(arenaShift: 15, granuleShift: 10) == 8)
        #expect(TestSlabHeap.granuleMapSlotCount(arenaShift: 30, granuleShift: 14) == 0)  // no map: cookie path
    }
}

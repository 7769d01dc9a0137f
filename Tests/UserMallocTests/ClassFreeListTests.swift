// The class list (SizeClassState.freeHead): malloc pops it, free pushes onto the span's own
// list, and a gather moves the span's list to the class when the class list runs dry. Every
// check free makes must find a slot on either list; the invariant checker, statistics(ofClass:)
// and trim must count the slots on the class list as free.

import MemoryCore
import Testing
@testable import UserMalloc
import TestSupport

@Suite struct ClassFreeListTests {
    func at(_ pointer: UnsafeMutableRawPointer) -> VirtualAddress { VirtualAddress(UInt64(UInt(bitPattern: pointer))) }

    /// A heap whose class of 48 bytes holds `a` on its class list and `c` on its current span's
    /// own list, with `b` and `d` live.
    func heapWithSlotsOnBothLists() throws -> (
        heap: UserHeap<FakePageSource>, log: ErrorLog, a: UnsafeMutableRawPointer, b: UnsafeMutableRawPointer,
        c: UnsafeMutableRawPointer, d: UnsafeMutableRawPointer, index: Int
    ) {
        var (heap, _, log) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48)), b = try unwrap(heap.allocate(byteCount: 48))
        let c = try unwrap(heap.allocate(byteCount: 48)), d = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.free(b)  // the span's own list: b, a
        #expect(try unwrap(heap.allocate(byteCount: 48)) == b, "the gather takes b, a; malloc pops b")
        #expect(heap.classes[index].freeHead == UInt(bitPattern: a), "a waits on the class list")
        heap.free(c)  // the span's own list: c
        let span = SpanRef(containing: UInt(bitPattern: c))
        #expect(span.header.freeHead == UInt(bitPattern: c))
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
        return (heap, log, a, b, c, d, index)
    }

    @Test func doubleFreeOfASlotOnTheClassListIsReported() throws {
        var (heap, log, a, _, _, _, _) = try heapWithSlotsOnBothLists()
        let before = heap.statistics
        heap.free(a)
        #expect(log.errors == [.doubleFree(at(a))])
        #expect(heap.statistics.liveBytes == before.liveBytes)
        #expect(heap.checkInvariants() == nil)
        log.errors.removeAll()
        _ = heap.reallocate(a, byteCount: 20)
        #expect(log.errors == [.doubleFree(at(a))], "realloc searches the class list too")
    }

    @Test func doubleFreeOfASlotOnTheSpansOwnListIsReported() throws {
        var (heap, log, _, _, c, _, _) = try heapWithSlotsOnBothLists()
        let before = heap.statistics
        heap.free(c)
        #expect(log.errors == [.doubleFree(at(c))])
        #expect(heap.statistics.liveBytes == before.liveBytes)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func statisticsCountTheClassListAsFree() throws {
        let (heap, _, _, _, _, _, index) = try heapWithSlotsOnBothLists()
        let stats = heap.statistics(ofClass: index)
        #expect(stats.liveBlocks == 2, "b and d")
        #expect(stats.freeSlots == (4096 - SpanRef.dataOffset) / 48 - 2)
        #expect(heap.statistics.liveBytes == 2 * 48)
    }

    @Test func mallocTakesTheClassListThenTheGatheredOwnList() throws {
        var (heap, log, a, _, c, _, index) = try heapWithSlotsOnBothLists()
        #expect(try unwrap(heap.allocate(byteCount: 48)) == a)
        #expect(heap.classes[index].freeHead == 0)
        #expect(try unwrap(heap.allocate(byteCount: 48)) == c, "gathered from the span's own list")
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
    }

    @Test func trimReleasesACurrentSpanWhoseFreeSlotsSitOnTheClassList() throws {
        var (heap, log, _, b, _, d, index) = try heapWithSlotsOnBothLists()
        heap.free(b)
        heap.free(d)
        #expect(heap.classes[index].freeHead != 0)
        heap.trim()
        #expect(heap.statistics.smallSpans == 0, "every slot is free: the span goes back")
        #expect(heap.classes[index].freeHead == 0 && heap.classes[index].current == 0)
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
    }

    @Test func trimKeepsAnUsedCurrentSpanAndItsFreeSlots() throws {
        var (heap, log, a, _, c, _, _) = try heapWithSlotsOnBothLists()
        heap.trim()  // b and d live: the span stays; a goes back to the span's own list
        #expect(heap.statistics.smallSpans == 1)
        #expect(heap.checkInvariants() == nil)
        heap.free(a)
        heap.free(c)
        #expect(log.errors == [.doubleFree(at(a)), .doubleFree(at(c))])
    }

    @Test func damagedClassListLinkIsCaughtByMalloc() throws {
        var (heap, log, a, _, _, d, _) = try heapWithSlotsOnBothLists()
        a.storeBytes(of: UInt(bitPattern: d) + 8, as: UInt.self)  // a use-after-free write
        #expect(heap.allocate(byteCount: 48) == nil)
        #expect(log.errors == [.corruptedFreeList(at(a))])
    }

    @Test func checkerCatchesALostClassList() throws {
        var (heap, _, _, _, _, _, index) = try heapWithSlotsOnBothLists()
        heap.classes[index].freeHead = 0  // a is neither live nor on a list
        #expect(heap.checkInvariants() == .liveBytes(counted: 3 * 48, recorded: 2 * 48))
    }

    @Test func checkerCatchesListsThatShareSlots() throws {
        var (heap, _, a, _, c, _, index) = try heapWithSlotsOnBothLists()
        a.storeBytes(of: UInt(bitPattern: c), as: UInt.self)  // class list a -> c, own list c
        #expect(heap.checkInvariants() == .classState(classIndex: index))
    }

    @Test func checkerCatchesAClassListWithoutCurrentSpan() throws {
        var (heap, _, _, _, _, _, index) = try heapWithSlotsOnBothLists()
        let other = index + 1
        heap.classes[other].freeHead = heap.classes[index].freeHead
        #expect(heap.checkInvariants() == .classState(classIndex: other))
    }
}

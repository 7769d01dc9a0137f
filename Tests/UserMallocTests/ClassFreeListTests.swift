// The class list (SizeClassState.freeHead): malloc pops it, free pushes there for the current
// span and onto the span's own list otherwise, and a gather moves a span's own list to the class
// once it is current and the class list has run dry. Every check free makes must find a slot on
// either list; the invariant checker, statistics(ofClass:) and trim must count the slots on the
// class list as free.

import MemoryCore
import Testing
@testable import UserMalloc
import TestSupport

@Suite struct ClassFreeListTests {
    func at(_ pointer: UnsafeMutableRawPointer) -> VirtualAddress { VirtualAddress(UInt64(UInt(bitPattern: pointer))) }

    /// A heap whose class of 48 bytes has filled its first span (`first`, 84 blocks) and moved
    /// on to a second, current one: `onClassList` (of the second span) waits on the class list
    /// and `onOwnList` on the first span's own list (the span is partial); `kept` stays live in
    /// the second span.
    struct TwoSpans {
        var heap: UserHeap<FakePageSource>
        let log: ErrorLog
        let first: [UnsafeMutableRawPointer]
        let onClassList: UnsafeMutableRawPointer
        let onOwnList: UnsafeMutableRawPointer
        let kept: UnsafeMutableRawPointer
        let index: Int
    }

    func twoSpans() throws -> TwoSpans {
        var (heap, _, log) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let capacity = (4096 - SpanRef.dataOffset) / 48
        let first = try (0 ..< capacity).map { _ in try unwrap(heap.allocate(byteCount: 48)) }
        let firstSpan = SpanRef(containing: UInt(bitPattern: first[0]))
        #expect(first.allSatisfy { SpanRef(containing: UInt(bitPattern: $0)) == firstSpan }, "a class starts on a 4 KiB span")
        let onClassList = try unwrap(heap.allocate(byteCount: 48))
        let kept = try unwrap(heap.allocate(byteCount: 48))
        #expect(SpanRef(containing: UInt(bitPattern: onClassList)) != firstSpan)
        heap.free(onClassList)
        heap.free(first[10])
        #expect(heap.classes[index].freeHead == UInt(bitPattern: onClassList), "the current span's slot goes to the class list")
        #expect(firstSpan.header.freeHead == UInt(bitPattern: first[10]), "another span's slot goes to that span's list")
        #expect(firstSpan.header.state == SpanState.partial.rawValue)
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
        return TwoSpans(
            heap: heap, log: log, first: first, onClassList: onClassList, onOwnList: first[10], kept: kept, index: index)
    }

    @Test func doubleFreeOfASlotOnTheClassListIsReported() throws {
        var t = try twoSpans()
        let before = t.heap.statistics
        t.heap.free(t.onClassList)
        #expect(t.log.errors == [.doubleFree(at(t.onClassList))])
        #expect(t.heap.statistics.liveBytes == before.liveBytes)
        #expect(t.heap.checkInvariants() == nil)
        t.log.errors.removeAll()
        _ = t.heap.reallocate(t.onClassList, byteCount: 20)
        #expect(t.log.errors == [.doubleFree(at(t.onClassList))], "realloc searches the class list too")
    }

    @Test func doubleFreeOfASlotOnASpansOwnListIsReported() throws {
        var t = try twoSpans()
        let before = t.heap.statistics
        t.heap.free(t.onOwnList)
        #expect(t.log.errors == [.doubleFree(at(t.onOwnList))])
        #expect(t.heap.statistics.liveBytes == before.liveBytes)
        #expect(t.heap.checkInvariants() == nil)
    }

    @Test func statisticsCountTheClassListAsFree() throws {
        let t = try twoSpans()
        let stats = t.heap.statistics(ofClass: t.index)
        let live = t.first.count - 1 + 1  // the first span but one slot, and kept
        #expect(stats.liveBlocks == live)
        #expect(stats.spans == 2)
        #expect(t.heap.statistics.liveBytes == live * 48)
    }

    @Test func mallocTakesTheClassListThenGathersAPartialSpansList() throws {
        var t = try twoSpans()
        #expect(try unwrap(t.heap.allocate(byteCount: 48)) == t.onClassList)
        #expect(t.heap.classes[t.index].freeHead == 0)
        // Use up the second span: then the partial first span becomes current and its own list
        // is gathered onto the class list.
        var taken: [UnsafeMutableRawPointer] = []
        for _ in 0 ..< 200 {
            let p = try unwrap(t.heap.allocate(byteCount: 48))
            taken.append(p)
            if p == t.onOwnList { break }
            #expect(t.heap.checkInvariants() == nil)
        }
        #expect(taken.last == t.onOwnList)
        #expect(t.heap.checkInvariants() == nil)
        #expect(t.log.errors.isEmpty)
    }

    @Test func trimReleasesACurrentSpanWhoseFreeSlotsSitOnTheClassList() throws {
        var (heap, _, log) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48)), b = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.free(b)
        #expect(heap.classes[index].freeHead == UInt(bitPattern: b))
        heap.trim()
        #expect(heap.statistics.smallSpans == 0, "every slot is free: the span goes back")
        #expect(heap.classes[index].freeHead == 0 && heap.classes[index].current == 0)
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors.isEmpty)
    }

    @Test func trimKeepsAUsedCurrentSpanAndItsFreeSlots() throws {
        var (heap, _, log) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48)), b = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.trim()  // b is live: the span stays, and a goes back to the span's own list
        #expect(heap.statistics.smallSpans == 1)
        let span = SpanRef(containing: UInt(bitPattern: a))
        #expect(heap.classes[index].freeHead == 0 && span.header.freeHead == UInt(bitPattern: a))
        #expect(heap.checkInvariants() == nil)
        heap.free(a)
        #expect(log.errors == [.doubleFree(at(a))])
        // malloc carves the span to its end before it gathers a back.
        var taken: [UnsafeMutableRawPointer] = []
        while taken.count < 200, taken.last != a { taken.append(try unwrap(heap.allocate(byteCount: 48))) }
        #expect(taken.last == a && taken.count == (4096 - SpanRef.dataOffset) / 48 - 1)
        #expect(heap.checkInvariants() == nil)
        for p in taken + [b] { heap.free(p) }
        #expect(heap.checkInvariants() == nil)
        #expect(log.errors == [.doubleFree(at(a))])
    }

    @Test func damagedClassListLinkIsCaughtByMalloc() throws {
        var (heap, _, log) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 48)), b = try unwrap(heap.allocate(byteCount: 48))
        let d = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.free(b)  // class list: b -> a
        let bad = UInt(bitPattern: d) + 8
        b.storeBytes(of: bad, as: UInt.self)  // a use-after-free write
        // b itself is a sound free slot: it is handed out, and its link becomes the head
        // unchecked; the malloc that would pop that head checks it, reports it, and follows
        // nothing.
        #expect(heap.allocate(byteCount: 48) == b && log.errors.isEmpty)
        #expect(heap.allocate(byteCount: 48) == nil)
        #expect(log.errors == [.corruptedFreeList(VirtualAddress(UInt64(bad)))])
        #expect(heap.checkInvariants() != nil)
    }

    /// A span change gathers the partial span's own list and pops its head at once
    /// (allocateFromSpans): a damaged link there is reported by the malloc that would pop it,
    /// not followed.
    @Test func damagedListOfAPartialSpanIsCaughtWhenItBecomesCurrent() throws {
        var t = try twoSpans()
        let damaged = t.first[20]
        t.heap.free(damaged)  // the first span's own list: damaged -> onOwnList
        damaged.storeBytes(of: UInt(bitPattern: t.kept) + 8, as: UInt.self)  // a use-after-free write
        var served = 0
        while served < 200, t.heap.allocate(byteCount: 48) != nil { served += 1 }
        #expect(
            served == (4096 - SpanRef.dataOffset) / 48,
            "the class list's slot, the second span carved out, then the damaged slot")
        #expect(t.log.errors == [.corruptedFreeList(VirtualAddress(UInt64(UInt(bitPattern: t.kept) + 8)))])
    }

    @Test func checkerCatchesALostClassList() throws {
        var (heap, _, _) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48))
        _ = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.classes[index].freeHead = 0  // a is neither live nor on a list
        #expect(heap.checkInvariants() == .liveBytes(counted: 2 * 48, recorded: 48))
    }

    @Test func checkerCatchesListsThatShareSlots() throws {
        var (heap, _, _) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48))
        _ = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.trim()  // a moves to the span's own list
        heap.classes[index].freeHead = UInt(bitPattern: a)  // ... and is on the class list too
        #expect(heap.checkInvariants() == .classState(classIndex: index))
    }

    @Test func checkerCatchesAClassListWithoutCurrentSpan() throws {
        var (heap, _, _) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        let a = try unwrap(heap.allocate(byteCount: 48))
        _ = try unwrap(heap.allocate(byteCount: 48))
        heap.free(a)
        heap.classes[index + 1].freeHead = heap.classes[index].freeHead
        #expect(heap.checkInvariants() == .classState(classIndex: index + 1))
    }

    @Test func checkerCatchesACarvedExtentBeyondTheSpan() throws {
        var (heap, _, _) = makeHeap()
        let index = SizeClass.index(forByteCount: 48)
        _ = try unwrap(heap.allocate(byteCount: 48))
        heap.classes[index].listCarvedUnits += 3
        #expect(heap.checkInvariants() == .classState(classIndex: index))
    }
}

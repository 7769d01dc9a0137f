// Every kind of bad pointer and detectable metadata damage is reported with its own HeapError
// value, and the heap is left exactly as it was.

import TestSupport
import Testing
import MemoryCore
@testable import UserMalloc
import TestSupport

@Suite struct UserHeapMisuseTests {
    /// Runs `misuse` and expects exactly `expected` reported, with statistics and invariants unchanged.
    func expectReported(
        _ expected: HeapError, heap: inout UserHeap<FakePageSource>, log: ErrorLog,
        _ misuse: (inout UserHeap<FakePageSource>) -> Void
    ) {
        let before = heap.statistics
        log.errors.removeAll()
        misuse(&heap)
        #expect(log.errors == [expected])
        #expect(heap.statistics.liveBytes == before.liveBytes && heap.statistics.heldBytes == before.heldBytes)
        #expect(heap.checkInvariants() == nil)
    }

    func at(_ pointer: UnsafeMutableRawPointer) -> VirtualAddress { VirtualAddress(UInt64(UInt(bitPattern: pointer))) }

    @Test func foreignPointers() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 32))
        let foreign = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { foreign.deallocate() }
        expectReported(.foreignPointer(at(foreign)), heap: &heap, log: log) { $0.free(foreign) }
        expectReported(.foreignPointer(at(foreign)), heap: &heap, log: log) { _ = $0.reallocate(foreign, byteCount: 10) }
        expectReported(.foreignPointer(at(foreign)), heap: &heap, log: log) { _ = $0.usableByteCount(of: foreign) }
        let wild = UnsafeMutableRawPointer(bitPattern: 0x10)!
        expectReported(.foreignPointer(at(wild)), heap: &heap, log: log) { $0.free(wild) }
        heap.free(keep)
    }

    @Test func interiorPointersInEveryTier() throws {
        var (heap, _, log) = makeHeap()
        for size in [48, 5000, 300_000] {
            let p = try unwrap(heap.allocate(byteCount: size))
            for offset in [1, 8, 16, 32] {
                expectReported(.interiorPointer(at(p + offset)), heap: &heap, log: log) { $0.free(p + offset) }
            }
            heap.free(p)
        }
        // A pointer into a span's header area.
        let q = try unwrap(heap.allocate(byteCount: 16))
        let header = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: q) & ~0xFFFF)! + 32
        expectReported(.interiorPointer(at(header)), heap: &heap, log: log) { $0.free(header) }
        heap.free(q)
    }

    @Test func doubleFreeInEveryTier() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 48))  // keeps the span's slot carved
        let small = try unwrap(heap.allocate(byteCount: 48))
        let medium = try unwrap(heap.allocate(byteCount: 5000))
        let mediumKeep = try unwrap(heap.allocate(byteCount: 5000))
        heap.free(small)
        expectReported(.doubleFree(at(small)), heap: &heap, log: log) { $0.free(small) }
        expectReported(.doubleFree(at(small)), heap: &heap, log: log) { _ = $0.reallocate(small, byteCount: 8) }
        heap.free(medium)
        expectReported(.doubleFree(at(medium)), heap: &heap, log: log) { $0.free(medium) }
        // A freed large block is unmapped: a second free is foreign.
        let large = try unwrap(heap.allocate(byteCount: 400_000))
        heap.free(large)
        expectReported(.foreignPointer(at(large)), heap: &heap, log: log) { $0.free(large) }
        heap.free(keep)
        heap.free(mediumKeep)
    }

    /// realloc validates its pointer as free does in every tier (it then releases the block it
    /// located without free's checks again: UserHeap+Realloc.swift, releaseLocated): an interior
    /// or misaligned pointer and a freed block are reported, whether the resize would grow or
    /// shrink, and change nothing.
    @Test func reallocRefusesInteriorAndFreedPointersInEveryTier() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 48))  // keeps the span and region in use
        let mediumKeep = try unwrap(heap.allocate(byteCount: 5000))
        for size in [48, 5000, 300_000] {
            let p = try unwrap(heap.allocate(byteCount: size))
            for offset in [1, 8, 16] {
                for newSize in [size / 2, size * 2] {
                    expectReported(.interiorPointer(at(p + offset)), heap: &heap, log: log) {
                        _ = $0.reallocate(p + offset, byteCount: newSize)
                    }
                }
            }
            heap.free(p)
            // A freed small slot or medium block is a double free; a freed large block went back
            // to the cache or the source, so its pointer is no live block's.
            let expected: HeapError = size > 100_000 ? .foreignPointer(at(p)) : .doubleFree(at(p))
            for newSize in [size / 2, size * 2] {
                expectReported(expected, heap: &heap, log: log) { _ = $0.reallocate(p, byteCount: newSize) }
            }
        }
        heap.free(keep)
        heap.free(mediumKeep)
    }

    /// A light block (a class of >= 256 B that holds no span yet, served from a medium region:
    /// UserHeap+Light.swift) is a tier of its own for the caller: its interior, misaligned and
    /// double frees are reported as in the others.
    @Test func misuseOfALightBlockIsReported() throws {
        var (heap, _, log) = makeHeap()
        let light = try unwrap(heap.allocate(byteCount: 1000))
        let keep = try unwrap(heap.allocate(byteCount: 1000))
        #expect(heap.statistics(ofClass: SizeClass.index(forByteCount: 1000)).lightBlocks == 2)
        for offset in [1, 8, 16, 32] {
            expectReported(.interiorPointer(at(light + offset)), heap: &heap, log: log) { $0.free(light + offset) }
        }
        log.errors.removeAll()
        heap.free(light)
        #expect(log.errors.isEmpty)
        expectReported(.doubleFree(at(light)), heap: &heap, log: log) { $0.free(light) }
        log.errors.removeAll()
        heap.free(keep)
        #expect(log.errors.isEmpty)
        #expect(heap.statistics.liveBytes == 0)
    }

    @Test func doubleFreeIsCaughtEvenBehindOtherFrees() throws {
        var (heap, _, log) = makeHeap()
        let blocks = try (0 ..< 100).map { _ in try unwrap(heap.allocate(byteCount: 64)) }
        for p in blocks { heap.free(p) }
        expectReported(.doubleFree(at(blocks[37])), heap: &heap, log: log) { $0.free(blocks[37]) }
    }

    @Test func freeIntoASpanReturnedByTrimIsForeign() throws {
        var (heap, source, log) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 16))
        heap.free(a)  // the directory remembers a's span
        heap.trim()  // ... which goes back to the source
        #expect(source.mappings.isEmpty)
        expectReported(.foreignPointer(at(a)), heap: &heap, log: log) { $0.free(a) }
    }

    /// The free marker is bytes 8-11 of a slot (UserHeap.freeMarker): the bytes after it are
    /// still the program's, so a stale write there after the free hides no double free, in the
    /// 16-byte class (whose bytes 12-15 are the block's tail) and in a larger one.
    @Test func writesAfterTheMarkerDoNotHideADoubleFree() throws {
        var (heap, _, log) = makeHeap()
        for size in [16, 48] {
            let keep = try unwrap(heap.allocate(byteCount: size))
            let p = try unwrap(heap.allocate(byteCount: size))
            heap.free(p)
            for offset in 12 ..< size { (p + offset).storeBytes(of: 0xA5, as: UInt8.self) }
            expectReported(.doubleFree(at(p)), heap: &heap, log: log) { $0.free(p) }
            heap.free(keep)
        }
    }

    @Test func userDataEqualToTheFreeMarkerIsNoFalseDoubleFree() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 16))
        let p = try unwrap(heap.allocate(byteCount: 16))
        (p + 8).storeBytes(of: heap.freeMarker(UInt(bitPattern: p)), as: UInt32.self)
        heap.free(p)  // suspected, searched, not on the list: fine
        #expect(log.errors.isEmpty)
        expectReported(.doubleFree(at(p)), heap: &heap, log: log) { $0.free(p) }
        heap.free(keep)
    }

    /// realloc's small path (UserHeap+Realloc.swift) leaves a slot carrying the marker to the
    /// general path: a live block whose bytes 8-11 equal it is resized, in place and moved, with
    /// no report and its bytes kept; once freed, the same pointer is a double free.
    @Test func userDataEqualToTheFreeMarkerIsNoFalseDoubleFreeInRealloc() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 48))
        let p = try unwrap(heap.allocate(byteCount: 48))
        let marker = heap.freeMarker(UInt(bitPattern: p))
        (p + 8).storeBytes(of: marker, as: UInt32.self)
        #expect(heap.reallocate(p, byteCount: 40) == p)
        let moved = try unwrap(heap.reallocate(p, byteCount: 400))
        #expect(moved != p)
        #expect((moved + 8).load(as: UInt32.self) == marker)
        #expect(log.errors.isEmpty)
        #expect(heap.checkInvariants() == nil)
        expectReported(.doubleFree(at(p)), heap: &heap, log: log) { _ = $0.reallocate(p, byteCount: 40) }
        heap.free(moved)
        heap.free(keep)
    }

    /// realloc of a slot under a damaged span header is reported as free reports it (the small
    /// path's canary check fails and the general path names the header), and nothing moves.
    @Test func damagedSpanCanaryIsReportedByRealloc() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 64))
        let span = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: p) & ~0xFFFF)!
        let saved = span.load(as: UInt64.self)
        span.storeBytes(of: saved ^ 1, as: UInt64.self)
        let before = heap.statistics
        for newSize in [32, 640] {
            log.errors.removeAll()
            #expect(heap.reallocate(p, byteCount: newSize) == nil)
            #expect(log.errors == [.corruptedHeader(at(span))])
        }
        #expect(heap.statistics.liveBytes == before.liveBytes && heap.statistics.heldBytes == before.heldBytes)
        span.storeBytes(of: saved, as: UInt64.self)
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
    }

    @Test func recycledSpansCarveSlotsWithoutStaleFreeMarkers() throws {
        var (heap, _, _) = makeHeap()
        // Fill and empty spans of one class, then carve the recycled spans for another class:
        // no carved slot may still carry the marker of its address (free would then search).
        let first = try (0 ..< 4000).map { _ in try unwrap(heap.allocate(byteCount: 48)) }
        for p in first { heap.free(p) }
        let second = try (0 ..< 4000).map { _ in try unwrap(heap.allocate(byteCount: 96)) }
        for p in second + [] {
            #expect((p + 8).load(as: UInt32.self) != heap.freeMarker(UInt(bitPattern: p)))
        }
        for p in second { heap.free(p) }
        #expect(heap.checkInvariants() == nil)
    }

    @Test func useAfterFreeWriteOverTheMarkerIsCaughtByMalloc() throws {
        var (heap, _, log) = makeHeap()
        let keep = try unwrap(heap.allocate(byteCount: 100))
        let p = try unwrap(heap.allocate(byteCount: 100))
        heap.free(p)
        (p + 8).storeBytes(of: 0x4141_4141_4141_4141 as UInt64, as: UInt64.self)
        #expect(heap.checkInvariants() != nil)
        #expect(heap.allocate(byteCount: 100) == nil)
        #expect(log.errors == [.corruptedFreeList(at(p))])
        (p + 8).storeBytes(of: heap.freeMarker(UInt(bitPattern: p)), as: UInt32.self)
        #expect(heap.checkInvariants() == nil)
        heap.free(keep)
    }

    @Test func neverAllocatedSlot() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 64))
        let beyond = p + 64 * 10
        expectReported(.neverAllocated(at(beyond)), heap: &heap, log: log) { $0.free(beyond) }
        heap.free(p)
    }

    @Test func damagedSpanCanary() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 64))
        let span = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: p) & ~0xFFFF)!
        let saved = span.load(as: UInt64.self)
        span.storeBytes(of: saved ^ 1, as: UInt64.self)
        log.errors.removeAll()
        heap.free(p)
        #expect(log.errors == [.corruptedHeader(at(span))])
        #expect(heap.checkInvariants() == .spanCanary(span: at(span)))
        span.storeBytes(of: saved, as: UInt64.self)
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
    }

    @Test func damagedFreeListLinkIsCaughtByMalloc() throws {
        var (heap, _, log) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 64))
        let b = try unwrap(heap.allocate(byteCount: 64))
        heap.free(a)
        heap.free(b)  // list: b -> a
        let saved = b.load(as: UInt.self)
        b.storeBytes(of: 0xDEAD_0000, as: UInt.self)  // use-after-free write: link leaves the span
        #expect(heap.checkInvariants() != nil)
        log.errors.removeAll()
        #expect(heap.allocate(byteCount: 64) == b)  // b is sound; its link becomes the head
        #expect(heap.allocate(byteCount: 64) == nil)  // ... checked before it is followed
        #expect(log.errors == [.corruptedFreeList(VirtualAddress(0xDEAD_0000))])
        // A link to a live slot is caught too.
        let live = try unwrap(heap.allocate(byteCount: 16))  // another class, another span
        heap.free(b)  // the class list again: b -> 0xDEAD0000
        b.storeBytes(of: saved, as: UInt.self)
        #expect(heap.checkInvariants() == nil)
        let c = try unwrap(heap.allocate(byteCount: 64))  // pops b
        #expect(c == b)
        heap.free(c)  // the class list: b -> a
        let link = b.load(as: UInt.self)
        b.storeBytes(of: UInt(bitPattern: c) + 64 * 5, as: UInt.self)  // beyond bump, not a free slot
        #expect(heap.checkInvariants() != nil)
        b.storeBytes(of: link, as: UInt.self)
        #expect(heap.checkInvariants() == nil)
        heap.free(live)
    }

    /// malloc's link check is one compare (UserHeap+Small.swift, popClassSlot): every way a link
    /// can be wrong is refused by the malloc that would pop it, reported, and changes nothing.
    @Test func everyKindOfBadFreeListLinkIsRefusedByMalloc() throws {
        var (heap, _, log) = makeHeap()
        let a = try unwrap(heap.allocate(byteCount: 64))
        let b = try unwrap(heap.allocate(byteCount: 64))
        heap.free(a)
        heap.free(b)  // list: b -> a; two slots carved
        let saved = b.load(as: UInt.self)
        let span = UInt(bitPattern: b) & ~UInt(0xFFFF)
        let badLinks: [UInt] = [
            saved + 8, saved + 1, saved + 15,  // misaligned inside a carved slot
            span, span + 16, span + 48,  // the span header
            saved + 64 * 2, span + 0xFFF0,  // past the carved slots, inside the granule
            saved + 0x1_0000, saved &- 0x1_0000, 1,  // another granule, a wild value
        ]
        for link in badLinks {
            b.storeBytes(of: link, as: UInt.self)
            log.errors.removeAll()
            #expect(heap.allocate(byteCount: 64) == b, "link \(link)")  // b is sound; link is the head
            let before = heap.statistics
            #expect(heap.allocate(byteCount: 64) == nil, "link \(link)")
            #expect(log.errors == [.corruptedFreeList(VirtualAddress(UInt64(link)))], "link \(link)")
            #expect(heap.statistics.liveBytes == before.liveBytes)
            heap.free(b)  // the class list: b -> link
        }
        b.storeBytes(of: saved, as: UInt.self)
        #expect(heap.checkInvariants() == nil)
        #expect(heap.allocate(byteCount: 64) == b && heap.allocate(byteCount: 64) == a)
        heap.free(a)
        heap.free(b)
        #expect(heap.checkInvariants() == nil && heap.statistics.liveBytes == 0)
    }

    @Test func damagedBoundaryTag() throws {
        var (heap, _, log) = makeHeap()
        let p = try unwrap(heap.allocate(byteCount: 5000))
        let q = try unwrap(heap.allocate(byteCount: 5000))
        let header = p - 16
        let saved = header.load(as: UInt64.self)
        header.storeBytes(of: saved &+ 16, as: UInt64.self)  // size off by 16
        log.errors.removeAll()
        heap.free(p)
        #expect(log.errors == [.corruptedBoundaryTag(at(header))])
        #expect(heap.checkInvariants() != nil)
        header.storeBytes(of: saved, as: UInt64.self)
        #expect(heap.checkInvariants() == nil)
        heap.free(p)
        heap.free(q)
        #expect(heap.checkInvariants() == nil)
    }

    @Test func errorsCarryDistinctCodesAndMessages() {
        let a = VirtualAddress(0x1000)
        let all: [HeapError] = [
            .foreignPointer(a), .interiorPointer(a), .neverAllocated(a), .doubleFree(a),
            .corruptedHeader(a), .corruptedFreeList(a), .corruptedBoundaryTag(a),
        ]
        #expect(Set(all.map(\.code)).count == all.count)
        #expect(all.allSatisfy { $0.address == a })
    }
}

// GranuleReservation: a page source's reserved gibibyte, placed lowest first in 64 KiB granules
// (what keeps the heap's mappings, and so its granule map, compact). Checked against a simple
// model: an array of booleans, the lowest aligned free run found by a linear scan.

import TestSupport
import Testing
@testable import UserMalloc

@Suite struct GranuleReservationTests {
    static let granule = GranuleReservation.granuleBytes

    /// A bitmap for one reservation (the tests' reserved ranges are address arithmetic only:
    /// nothing is mapped there, so the bitmap lives in the test's own memory); the caller frees it.
    static func bitmap() -> UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer<UInt64>.allocate(capacity: GranuleReservation.wordCount)
    }

    @Test func placesLowestFirstAtTheAlignmentAndReusesReleasedRoom() {
        var reservation = GranuleReservation()
        #expect(reservation.place(byteCount: 4096, alignment: 4096) == nil)  // no range yet
        let base: UInt = 0x7f00_0000_0000
        let bitmap = Self.bitmap()
        defer { bitmap.deallocate() }
        reservation.adopt(base: base, bitmap: bitmap)
        #expect(reservation.place(byteCount: 4096, alignment: 4096) == base)
        #expect(reservation.place(byteCount: 65536, alignment: 65536) == base + UInt(Self.granule))
        // 256 KiB aligned: granules 4 ... 7 (2 and 3 stay free for smaller mappings).
        #expect(reservation.place(byteCount: 256 << 10, alignment: 256 << 10) == base + (256 << 10))
        #expect(reservation.place(byteCount: 70_000, alignment: 4096) == base + 2 * UInt(Self.granule))
        #expect(reservation.usedGranules == 1 + 1 + 4 + 2)
        reservation.release(base + UInt(Self.granule), byteCount: 65536)
        #expect(reservation.place(byteCount: 8192, alignment: 8192) == base + UInt(Self.granule))
        #expect(reservation.checkInvariants() == nil)
        #expect(reservation.contains(base + UInt(GranuleReservation.byteCount) - 1))
        #expect(!reservation.contains(base + UInt(GranuleReservation.byteCount)))
        #expect(!reservation.contains(base - 1))
    }

    @Test func aFullReservationRefusesAndAnOversizedRequestNeverFits() {
        var reservation = GranuleReservation()
        let bitmap = Self.bitmap()
        defer { bitmap.deallocate() }
        reservation.adopt(base: 0x1000_0000_0000, bitmap: bitmap)
        #expect(reservation.place(byteCount: GranuleReservation.byteCount + 4096, alignment: 4096) == nil)
        #expect(reservation.place(byteCount: GranuleReservation.byteCount, alignment: 4096) == 0x1000_0000_0000)
        #expect(reservation.place(byteCount: 4096, alignment: 4096) == nil)
        #expect(reservation.usedGranules == GranuleReservation.granuleCount)
        #expect(reservation.checkInvariants() == nil)
    }

    @Test func resizesInPlaceOnlyOverFreeGranulesAndAnAbandonedRangePlacesNothing() {
        var reservation = GranuleReservation()
        let base: UInt = 0x2000_0000_0000
        let bitmap = Self.bitmap()
        defer { bitmap.deallocate() }
        reservation.adopt(base: base, bitmap: bitmap)
        let first = reservation.place(byteCount: 100_000, alignment: 65536)!  // granules 0, 1
        let second = reservation.place(byteCount: 4096, alignment: 4096)!  // granule 2
        #expect(first == base && second == base + 2 * UInt(Self.granule))
        #expect(reservation.canResize(first, oldByteCount: 100_000, newByteCount: 131_072))
        #expect(!reservation.canResize(first, oldByteCount: 100_000, newByteCount: 131_073))
        reservation.resize(first, oldByteCount: 100_000, newByteCount: 4096)
        #expect(reservation.usedGranules == 2)
        #expect(reservation.canResize(first, oldByteCount: 4096, newByteCount: 65537))
        reservation.abandon()
        #expect(reservation.place(byteCount: 4096, alignment: 4096) == nil)
        #expect(!reservation.canResize(first, oldByteCount: 4096, newByteCount: 65537))
        #expect(reservation.canResize(first, oldByteCount: 4096, newByteCount: 65536))  // within its granule
        #expect(reservation.canResize(first, oldByteCount: 4096, newByteCount: 0x1000))  // shrinking stays allowed
        reservation.release(second, byteCount: 4096)
        reservation.release(first, byteCount: 4096)
        #expect(reservation.usedGranules == 0 && reservation.contains(first))
        #expect(reservation.checkInvariants() == nil)
    }

    /// Random places, releases and resizes against the model, every invariant after every op.
    @Test(arguments: [UInt(0x7f00_0000_0000), 0x7f00_0003_0000])
    func randomOperationsMatchTheModel(base: UInt) {
        var reservation = GranuleReservation()
        let bitmap = Self.bitmap()
        defer { bitmap.deallocate() }
        reservation.adopt(base: base, bitmap: bitmap)
        var used = [Bool](repeating: false, count: GranuleReservation.granuleCount)
        var live: [(address: UInt, bytes: Int)] = []
        var generator = SeededGenerator(seed: UInt64(base & 0xffff_ffff))
        func granules(_ bytes: Int) -> Int { (bytes + Self.granule - 1) / Self.granule }
        func index(_ address: UInt) -> Int { Int((address - base) / UInt(Self.granule)) }
        func modelPlace(_ bytes: Int, _ alignment: Int) -> UInt? {
            var start = 0
            while start + granules(bytes) <= used.count {
                let address = base + UInt(start * Self.granule)
                if address % UInt(alignment) == 0, !used[start ..< start + granules(bytes)].contains(true) {
                    return address
                }
                start += 1
            }
            return nil
        }
        for step in 0 ..< 5_000 {
            let choice = generator.next() % 10
            if choice < 5 || live.isEmpty {
                let bytes = Int(1 + generator.next() % 64) * 4096 * (generator.next() % 8 == 0 ? 64 : 1)
                let alignment = 4096 << Int(generator.next() % 8)
                let expected = modelPlace(bytes, alignment)
                let placed = reservation.place(byteCount: bytes, alignment: alignment)
                #expect(placed == expected, "step \(step)")
                if let placed {
                    for granule in index(placed) ..< index(placed) + granules(bytes) { used[granule] = true }
                    live.append((placed, bytes))
                }
            } else if choice < 8 {
                let (address, bytes) = live.remove(at: Int(generator.next() % UInt64(live.count)))
                reservation.release(address, byteCount: bytes)
                for granule in index(address) ..< index(address) + granules(bytes) { used[granule] = false }
            } else {
                let position = Int(generator.next() % UInt64(live.count))
                let (address, bytes) = live[position]
                let newBytes = Int(1 + generator.next() % 128) * 4096
                let first = index(address)
                let fits =
                    first + granules(newBytes) <= used.count
                    && !used[min(first + granules(bytes), first + granules(newBytes)) ..< first + granules(newBytes)]
                        .contains(true)
                #expect(reservation.canResize(address, oldByteCount: bytes, newByteCount: newBytes) == fits)
                if fits {
                    reservation.resize(address, oldByteCount: bytes, newByteCount: newBytes)
                    for granule in first ..< first + granules(bytes) { used[granule] = false }
                    for granule in first ..< first + granules(newBytes) { used[granule] = true }
                    live[position].bytes = newBytes
                }
            }
            #expect(reservation.checkInvariants() == nil, "step \(step)")
            #expect(reservation.usedGranules == used.lazy.filter { $0 }.count, "step \(step)")
        }
        for granule in stride(from: 0, to: used.count, by: 97) {
            #expect(reservation.isUsed(granule: granule) == used[granule])
        }
    }
}

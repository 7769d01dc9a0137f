// Reservations and the usable frame ranges left once they are subtracted.
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

@Suite struct ReservationTests {
    @Test func addKeepsOrderAndNames() throws {
        var list = ReservationList()
        try list.add(bytes(0, 0x100000), reason: .firstMebibyte)
        try list.add(bytes(0x100000, 0x180000), reason: .kernelImage)
        #expect(list.count == 2)
        #expect(list[1] == Reservation(range: bytes(0x100000, 0x180000), reason: .kernelImage))
        #expect(ReservationReason.allocatorMetadata.name.description == "allocator-metadata")
        #expect(ReservationReason.bootModule.name.description == "boot-module")
        #expect(ReservationReason.beyondAddressableMemory.name.description == "beyond-addressable-memory")
    }

    @Test func fullListThrowsAndChangesNothing() throws {
        var list = ReservationList()
        for index in 0 ..< ReservationList.capacity {
            try list.add(bytes(UInt64(index) * 0x1000, UInt64(index) * 0x1000 + 1), reason: .firmware)
        }
        #expect(throws: ReservationListError.full) { try list.add(bytes(0, 1), reason: .bootStack) }
        #expect(list.count == ReservationList.capacity)
        #expect(list.droppedForCapacity == 1)
    }

    @Test func invertedRangeIsRejected() {
        var list = ReservationList()
        #expect(throws: ReservationListError.invalidRange) { try list.add(bytes(0x2000, 0x1000), reason: .bootStack) }
        #expect(list.count == 0)
    }

    @Test func reservationsAreWidenedToWholeFramesAndSubtracted() {
        let memory = map([MemoryRegion(start: 0, end: 0x20000, kind: .usable)])
        let reserved = reservationList([(bytes(0x3800, 0x4001), .kernelImage), (bytes(0x10000, 0x10001), .commandLine)])
        let usable = UsableFrameRanges(map: memory, reservations: reserved)
        #expect((0 ..< usable.count).map { usable[$0] } == [frames(0, 3), frames(5, 0x10), frames(0x11, 0x20)])
        #expect(usable.frameCount == 0x20 - 3)
        #expect(usable.span == frames(0, 0x20))
    }

    @Test func overlappingAndOutsideReservations() {
        let memory = map([
            MemoryRegion(start: 0x10000, end: 0x20000, kind: .usable),
            MemoryRegion(start: 0x30000, end: 0x40000, kind: .usable),
        ])
        let reserved = reservationList([
            (bytes(0x18000, 0x1c000), .bootModule), (bytes(0x1a000, 0x32000), .bootModule),
            (bytes(0, 0x11000), .firstMebibyte), (bytes(0x90000, 0x91000), .firmware),
        ])
        let usable = UsableFrameRanges(map: memory, reservations: reserved)
        #expect((0 ..< usable.count).map { usable[$0] } == [frames(0x11, 0x18), frames(0x32, 0x40)])
    }

    @Test func unnormalisedMapsAreNormalisedFirst() {
        let memory = map([
            MemoryRegion(start: 0x800, end: 0x10000, kind: .usable),
            MemoryRegion(start: 0x4000, end: 0x5000, kind: .acpiNonVolatile),
        ])
        let usable = UsableFrameRanges(map: memory, reservations: ReservationList())
        #expect((0 ..< usable.count).map { usable[$0] } == [frames(1, 4), frames(5, 0x10)])
    }

    @Test func emptyResult() {
        let usable = UsableFrameRanges(
            map: map([MemoryRegion(start: 0, end: 0x1000, kind: .usable)]),
            reservations: reservationList([(bytes(0, 1), .firstMebibyte)]))
        #expect(usable.count == 0 && usable.span.isEmpty && usable.frameCount == 0)
    }

    @Test func rangesBeyondCapacityAreCounted() throws {
        // 100 usable regions, 64 of them split in two by a reservation: 164 pieces, 128 kept.
        var memory = MemoryMap()
        var reservations = ReservationList()
        for index in 0 ..< 100 {
            let base = UInt64(index) * 0x10000
            memory.append(MemoryRegion(start: base, end: base + 0x8000, kind: .usable))
            if index < 64 { try reservations.add(bytes(base + 0x2000, base + 0x3000), reason: .bootModule) }
        }
        let usable = UsableFrameRanges(map: memory, reservations: reservations)
        #expect(usable.count == UsableFrameRanges.capacity)
        #expect(usable.droppedForCapacity == 164 - UsableFrameRanges.capacity)
        #expect(usable.checkInvariants() == nil)
        #expect(usable[127].end.raw < 100 * 0x10)
    }

    @Test func appendRejectsOverlapAndMergesAdjacent() {
        var usable = UsableFrameRanges()
        let first = usable.append(frames(4, 8)), overlapping = usable.append(frames(6, 9))
        let empty = usable.append(frames(9, 9)), adjacent = usable.append(frames(8, 10))
        #expect(first && !overlapping && !empty && adjacent)
        #expect(usable.count == 1 && usable[0] == frames(4, 10))
        #expect(usable.checkInvariants() == nil)
    }

    /// Random maps and reservations against a per-frame model.
    @Test func randomSubtractionMatchesFrameModel() throws {
        var rng = SeededGenerator(seed: 0x5EED_0002)
        for _ in 0 ..< 200 {
            var memory = MemoryMap()
            var frameUsable = [Bool](repeating: false, count: 128)
            var byteKind = [Int](repeating: 0, count: 128 * 16)  // 256-byte cells: 0 gap, 1 usable, 2 other
            for _ in 0 ..< Int.random(in: 1 ... 8, using: &rng) {
                let start = Int.random(in: 0 ..< 2048, using: &rng), end = Int.random(in: start ... 2048, using: &rng)
                let usable = Bool.random(using: &rng)
                memory.append(
                    MemoryRegion(start: UInt64(start) * 256, end: UInt64(end) * 256, kind: usable ? .usable : .reserved))
                for cell in start ..< end where byteKind[cell] != 2 { byteKind[cell] = usable ? 1 : 2 }
            }
            for frame in 0 ..< 128 { frameUsable[frame] = (frame * 16 ..< frame * 16 + 16).allSatisfy { byteKind[$0] == 1 } }
            var reservations = ReservationList()
            for _ in 0 ..< Int.random(in: 0 ... 6, using: &rng) {
                let start = UInt64.random(in: 0 ..< 0x80000, using: &rng), end = UInt64.random(in: start ... 0x80000, using: &rng)
                try reservations.add(bytes(start, end), reason: .bootModule)
                for frame in bytes(start, end).touchedFrames.start.raw ..< bytes(start, end).touchedFrames.end.raw {
                    frameUsable[Int(frame)] = false
                }
            }
            let result = UsableFrameRanges(map: memory, reservations: reservations)
            #expect(result.checkInvariants() == nil)
            var fromResult = [Bool](repeating: false, count: 128)
            for index in 0 ..< result.count {
                if index > 0 { #expect(result[index - 1].end < result[index].start) }
                #expect(!result[index].isEmpty)
                for frame in result[index].start.raw ..< result[index].end.raw { fromResult[Int(frame)] = true }
            }
            #expect(fromResult == frameUsable)
        }
    }
}

/// Every reservation is subtracted, however many there are (a list that kept only the first 64
/// once let the frame allocator's metadata land on the 65th: a boot module).
@Suite struct ManyReservationsTests {
    @Test func aFullReservationListIsWhollySubtracted() throws {
        var memory = MemoryMap()
        memory.append(MemoryRegion(start: 0, end: UInt64(ReservationList.capacity) * 0x2000 + 0x1000, kind: .usable))
        var reservations = ReservationList()
        for index in 0 ..< ReservationList.capacity {
            let base = UInt64(index) * 0x2000 + 0x1000
            try reservations.add(
                PhysicalRange(start: PhysicalAddress(base), end: PhysicalAddress(base + 0x1000)), reason: .bootModule)
        }
        let usable = UsableFrameRanges(map: memory, reservations: reservations)
        #expect(usable.checkInvariants() == nil)
        // 257 one-frame pieces between the reservations; past its capacity the list drops usable
        // pieces (memory lost, counted), never a reservation (memory handed out twice).
        #expect(usable.count == UsableFrameRanges.capacity)
        #expect(usable.droppedForCapacity == ReservationList.capacity + 1 - UsableFrameRanges.capacity)
        for index in 0 ..< usable.count {
            let range = usable[index]
            #expect(range.end.raw - range.start.raw == 1 && range.start.raw % 2 == 0)
        }
    }
}

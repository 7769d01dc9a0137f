// The early bump allocator: whole frames, usable memory only, no hole crossing, all recorded.
@testable import PhysicalMemory
import MemoryCore
import TestSupport
import Testing

@Suite struct EarlyFrameAllocatorTests {
    let usable = usableRanges([frames(0x10, 0x14), frames(0x20, 0x40), frames(0x100, 0x200)])

    @Test func roundsUpToFramesFromTheLowestRange() {
        var early = EarlyFrameAllocator(usable: usable)
        #expect(early.allocate(byteCount: 1, alignment: 8) == frames(0x10, 0x11).physicalRange)
        #expect(early.allocate(byteCount: 0x2001, alignment: 1) == frames(0x11, 0x14).physicalRange)
        #expect(early.takenFrameCount == 4 && early.takenByteCount == 0x4000)
        #expect(early.takenCount == 1)
    }

    @Test func neverCrossesAHole() {
        var early = EarlyFrameAllocator(usable: usable)
        // 5 frames do not fit in [0x10, 0x14): the allocation comes from the next range.
        #expect(early.allocate(byteCount: 5 * frameSize, alignment: frameSize) == frames(0x20, 0x25).physicalRange)
        #expect(early.allocate(byteCount: 0x20 * frameSize, alignment: frameSize) == frames(0x100, 0x120).physicalRange)
        #expect(early.allocate(byteCount: 4 * frameSize, alignment: frameSize) == frames(0x10, 0x14).physicalRange)
    }

    @Test func honoursAlignmentAndPaddingIsNotRecorded() {
        var early = EarlyFrameAllocator(usable: usable)
        let range = early.allocate(byteCount: frameSize, alignment: 0x40 * frameSize)
        #expect(range == frames(0x100, 0x101).physicalRange)
        #expect(early.takenFrameCount == 1)
        #expect(early.taken(0) == frames(0x100, 0x101).physicalRange)
    }

    @Test func refusesBadRequestsAndExhaustion() {
        var early = EarlyFrameAllocator(usable: usable)
        #expect(early.allocate(byteCount: 0, alignment: 4096) == nil)
        #expect(early.allocate(byteCount: 4096, alignment: 3) == nil)
        #expect(early.allocate(byteCount: UInt64.max, alignment: 4096) == nil)
        #expect(early.allocate(byteCount: 0x101 * frameSize, alignment: 4096) == nil)
        #expect(early.takenFrameCount == 0)
        #expect(early.allocate(byteCount: 0x100 * frameSize, alignment: 4096) == frames(0x100, 0x200).physicalRange)
    }

    @Test func everyFrameHandedOutOnceThenNil() {
        var early = EarlyFrameAllocator(usable: usable)
        var seen = Set<UInt64>()
        while let range = early.allocate(byteCount: frameSize, alignment: frameSize) {
            #expect(seen.insert(range.start.raw).inserted)
        }
        #expect(UInt64(seen.count) == usable.frameCount)
        #expect(early.takenFrameCount == usable.frameCount)
    }

    @Test func takenRangesBecomeReservationsAndLeaveTheUsableSet() throws {
        var early = EarlyFrameAllocator(usable: usable)
        _ = early.allocate(byteCount: 2 * frameSize, alignment: frameSize)
        _ = early.allocate(byteCount: 8 * frameSize, alignment: 8 * frameSize)
        var reservations = ReservationList()
        try early.addTakenRanges(to: &reservations)
        #expect(reservations.count == 2)
        #expect(reservations[0] == Reservation(range: frames(0x10, 0x12).physicalRange, reason: .allocatorMetadata))
        #expect(reservations[1] == Reservation(range: frames(0x20, 0x28).physicalRange, reason: .allocatorMetadata))
        var memory = MemoryMap()
        for index in 0 ..< usable.count { memory.append(MemoryRegion(range: usable[index].physicalRange, kind: .usable)) }
        let after = UsableFrameRanges(map: memory, reservations: reservations)
        #expect(after.frameCount == usable.frameCount - 10)
    }

    @Test func refusesWhenItCannotRecord() {
        var list: [FrameRange] = []
        for index in 0 ..< 40 { list.append(frames(UInt64(index) * 4, UInt64(index) * 4 + 2)) }
        var early = EarlyFrameAllocator(usable: usableRanges(list))
        var handedOut = 0
        // Alignment 4 frames with 2-frame requests: each one lands in a new range, unmergeable.
        while early.allocate(byteCount: 2 * frameSize, alignment: 4 * frameSize) != nil { handedOut += 1 }
        #expect(handedOut == EarlyFrameAllocator.takenCapacity)
        #expect(early.takenFrameCount == UInt64(2 * handedOut))
    }

    /// Random requests against a per-frame model: every frame handed out was usable, free in the
    /// model, aligned, inside one range; the allocator's invariants hold after every request.
    @Test func randomRequestsAgainstAFrameModel() {
        var rng = SeededGenerator(seed: 0x5EED_0005)
        for _ in 0 ..< 40 {
            var list: [FrameRange] = []
            var cursor: UInt64 = UInt64.random(in: 0 ..< 64, using: &rng)
            for _ in 0 ..< Int.random(in: 1 ... 12, using: &rng) {
                let length = UInt64.random(in: 1 ... 300, using: &rng)
                list.append(frames(cursor, cursor + length))
                cursor += length + UInt64.random(in: 1 ... 90, using: &rng)
            }
            var early = EarlyFrameAllocator(usable: usableRanges(list))
            var taken = Set<UInt64>()
            for _ in 0 ..< 60 {
                let byteCount = UInt64.random(in: 0 ... 40 * frameSize, using: &rng)
                let alignment = UInt64(1) << UInt64.random(in: 0 ... 20, using: &rng)
                guard let range = early.allocate(byteCount: byteCount, alignment: alignment) else { continue }
                #expect(range.start.raw % max(alignment, frameSize) == 0)
                #expect(range.byteCount == alignUp(byteCount, to: frameSize)!)
                #expect(list.contains { $0.start <= range.start.containingFrame && range.end.containingFrame <= $0.end })
                for frame in range.wholeFrames.start.raw ..< range.wholeFrames.end.raw { #expect(taken.insert(frame).inserted) }
                #expect(early.checkInvariants() == nil)
            }
            #expect(early.takenFrameCount == UInt64(taken.count))
            #expect(usableRanges(list).checkInvariants() == nil)
        }
    }
}

// remap's fixed destination (flags bit 2, the destination in r8; Linux's MREMAP_FIXED): the run
// moves there and nowhere else, growing, shrinking or keeping its size, by its regions and present
// entries (the same frames); the unhinted cursor stays; and every refusal (a bad destination:
// EINVAL; an occupied one: EEXIST; the charge: ENOMEM) changes nothing: regions, charges, page
// tables, frames, and whatever was at the destination is still there.
import MemoryCore
import PageTables
import Syscalls
import Testing

extension RemapTests {
    static let fixed = RemapFlags(mayMove: true, fixed: true).rawValue

    @Test func fixedMoveGoesExactlyThereGrowingKeepingFramesAndCursor() throws {
        var (memory, machine) = try makeProcess()
        let baseline = memory.committedPages
        let address = try memory.map(hint: 0, length: 3 * 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address, 0x10)  // page 0 private, page 1 the zero frame, page 2 a hole
        read(&memory, &machine, address + 4096)
        let before = frames(memory, address, pages: 3)
        let snapshot = ProcessSnapshot(memory, machine)
        let destination = address + (1 << 30)  // far from the run and the cursor, 64 KiB-aligned or not
        machine.recorder.events = []
        #expect(
            try memory.remap(
                address: address, oldLength: 3 * 4096, newLength: 8 * 4096, flags: Self.fixed, destination: destination,
                machine: &machine
            ).get() == destination)
        #expect(frames(memory, destination, pages: 3) == before, "the same frames, the zero frame and the hole, moved")
        #expect(frames(memory, destination + 3 * 4096, pages: 5).allSatisfy { $0 == nil }, "the growth is demand-zero")
        #expect(
            !memory.isMapped(from: VirtualAddress(address), pageCount: 1) && frames(memory, address, pages: 3) == [nil, nil, nil])
        #expect(memory.regions.region(containing: VirtualAddress(destination))?.end == VirtualAddress(destination + 8 * 4096))
        #expect(userByte(memory, machine, destination + 7) == 0x10)
        #expect(memory.pagesMapped == snapshot.resident && memory.zeroFrameLeaves == snapshot.zeroFrameLeaves)
        #expect(memory.mapNext == snapshot.mapNext, "a fixed move is not an unhinted placement")
        #expect(machine.recorder.events.contains(.invalidate(VirtualAddress(address))), "the old page was flushed")
        #expect(memory.committedPages >= snapshot.committed + 5, "the growth is charged (and the new place's tables)")
        #expect(checked(memory, machine))
        _ = try memory.unmap(address: destination, length: 8 * 4096, machine: &machine).get()
        #expect(memory.committedPages == baseline && checked(memory, machine), "every page and table charged is released")
    }

    @Test func fixedMoveAlsoShrinksOrKeepsTheSize() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 6 * 4096, protection: 3, machine: &machine).get()
        for page: UInt64 in 0 ..< 6 { write(&memory, &machine, address + page * 4096, UInt8(page + 1)) }
        let snapshot = ProcessSnapshot(memory, machine)
        let first = address + (64 << 20)
        #expect(
            try memory.remap(
                address: address, oldLength: 6 * 4096, newLength: 6 * 4096, flags: Self.fixed, destination: first,
                machine: &machine
            ).get() == first, "the same size moves too")
        #expect(memory.pagesMapped == snapshot.resident && !memory.isMapped(from: VirtualAddress(address), pageCount: 6))
        let second = address + (128 << 20)
        #expect(
            try memory.remap(
                address: first, oldLength: 6 * 4096, newLength: 2 * 4096 - 5, flags: Self.fixed, destination: second,
                machine: &machine
            ).get() == second)
        #expect(userByte(memory, machine, second + 7) == 1 && userByte(memory, machine, second + 4096 + 7) == 2)
        #expect(!memory.isMapped(from: VirtualAddress(first), pageCount: 6), "the old tail is unreserved where it was")
        #expect(memory.pagesMapped == snapshot.resident - 4 && machine.freeFrameCount == snapshot.freeFrames + 4)
        #expect(memory.committedPages == snapshot.committed - 4 && machine.commit.committedPages == snapshot.systemCommitted - 4)
        #expect(memory.mapNext == snapshot.mapNext && checked(memory, machine))
    }

    /// Every bad destination, in the ABI's order, each with its errno and reason; nothing changes,
    /// and the mapping in the way keeps its bytes (a fixed remap never unmaps).
    @Test func fixedRefusalsChangeNothing() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address, 1)
        let occupant = address + (1 << 30)
        _ = try memory.map(hint: occupant, length: 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, occupant, 0x77)
        func refused(_ newPages: UInt64, _ destination: UInt64, flags: UInt64 = RemapTests.fixed) -> Rejection? {
            let snapshot = ProcessSnapshot(memory, machine)
            let outcome = memory.perform(
                .remap(address: address, oldLength: 4 * 4096, newLength: newPages * 4096, flags: flags, destination: destination),
                machine: &machine)
            #expect(ProcessSnapshot(memory, machine) == snapshot, "\(destination) changed the process")
            #expect(outcome.result == -Int64(outcome.rejection?.errno.rawValue ?? 0))
            return outcome.rejection
        }
        let free = address + (2 << 30)
        #expect(refused(8, free, flags: RemapFlags.fixedBit) == Rejection(.invalidArgument, .fixedWithoutMayMove))
        #expect(refused(8, free, flags: Self.fixed | 8) == Rejection(.invalidArgument, .unknownRemapFlags))
        #expect(refused(8, free + 100) == Rejection(.invalidArgument, .badRange(.misaligned)))
        let aligned = RemapFlags(mayMove: true, fixed: true, alignment: 64 << 10).rawValue
        #expect(refused(8, free + 4096, flags: aligned) == Rejection(.invalidArgument, .badRange(.misaligned)))
        #expect(refused(8, 0) == Rejection(.invalidArgument, .badRange(.touchesKernel)))
        #expect(refused(8, UserSpace.end.raw - 4096) == Rejection(.invalidArgument, .badRange(.outsideUserRange)))
        #expect(refused(8, 0xFFFF_FFFF_FFFF_F000) == Rejection(.invalidArgument, .badRange(.wrapsAround)))
        #expect(refused(8, 0xFFFF_8000_0000_0000)?.errno == .invalidArgument)
        #expect(refused(8, address + 4096) == Rejection(.invalidArgument, .destinationOverlapsRun))
        #expect(refused(2, address - 4096) == Rejection(.invalidArgument, .destinationOverlapsRun))
        #expect(refused(8, UserSpace.imageBase.raw) == Rejection(.exists, .imageOrStack))
        #expect(refused(8, UserSpace.stackGuardGapStart.raw) == Rejection(.exists, .imageOrStack))
        #expect(refused(8, UserSpace.stackStart.raw - 4096) == Rejection(.exists, .imageOrStack))
        #expect(refused(8, occupant) == Rejection(.exists, .overlapsMapping))
        #expect(refused(8, occupant - 7 * 4096) == Rejection(.exists, .overlapsMapping), "its last page only")
        #expect(refused(1, occupant) == Rejection(.exists, .overlapsMapping), "a shrinking fixed move too")
        #expect(userByte(memory, machine, occupant + 7) == 0x77 && userByte(memory, machine, address + 7) == 1)
        // A destination right after the run (no overlap) is fine: the run moves up one page.
        #expect(
            try memory.remap(
                address: address, oldLength: 4 * 4096, newLength: 4 * 4096, flags: Self.fixed, destination: address + 4 * 4096,
                machine: &machine
            ).get() == address + 4 * 4096)
        #expect(userByte(memory, machine, address + 4 * 4096 + 7) == 1 && checked(memory, machine))
        // Without the fixed bit, r8 is ignored whatever it holds.
        #expect(
            try memory.remap(
                address: address + 4 * 4096, oldLength: 4 * 4096, newLength: 2 * 4096, flags: 1, destination: 0xDEAD,
                machine: &machine
            ).get() == address + 4 * 4096)
        #expect(
            SyscallRequest.decode(number: 11, 1, 2, 3, 4, 5)
                == .memory(.remap(address: 1, oldLength: 2, newLength: 3, flags: 4, destination: 5)))
        #expect(checked(memory, machine))
    }

    /// The fixed move is charged before anything changes; a refusal names the limit.
    @Test func fixedGrowthBeyondTheChargeChangesNothing() throws {
        var (memory, machine) = try makeProcess(frames: 4096, commitLimit: 600)
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address, 0x33)
        let snapshot = ProcessSnapshot(memory, machine)
        let outcome = memory.perform(
            .remap(
                address: address, oldLength: 4 * 4096, newLength: 1000 * 4096, flags: Self.fixed, destination: address + (1 << 30)
            ),
            machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .commitLimit) && ProcessSnapshot(memory, machine) == snapshot)
        let populate = RemapFlags(mayMove: true, populate: true, fixed: true).rawValue
        var starved = try makeProcess(frames: 96, commitLimit: 100_000)
        let run = try starved.0.map(hint: 0, length: 4 * 4096, protection: 3, machine: &starved.1).get()
        write(&starved.0, &starved.1, run, 0x21)
        let starvedSnapshot = ProcessSnapshot(starved.0, starved.1)
        let starvedOutcome = starved.0.perform(
            .remap(address: run, oldLength: 4 * 4096, newLength: 200 * 4096, flags: populate, destination: run + (1 << 30)),
            machine: &starved.1)
        #expect(starvedOutcome.rejection == Rejection(.outOfMemory, .outOfFrames))
        #expect(ProcessSnapshot(starved.0, starved.1) == starvedSnapshot && userByte(starved.0, starved.1, run + 7) == 0x21)
        #expect(userByte(memory, machine, address + 7) == 0x33 && checked(memory, machine) && checked(starved.0, starved.1))
    }
}

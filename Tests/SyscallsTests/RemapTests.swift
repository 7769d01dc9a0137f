// remap: runs grow in place, move by their page-table entries (the same frames, no byte copied),
// shrink, and every refusal has its errno and named reason and changes nothing.
import MemoryCore
import PageTables
import Syscalls
import Testing

@Suite struct RemapTests {
    /// Writes `byte` into every page of [address, address + pages) at offset 7.
    func fill(_ memory: inout TestMemory, _ address: UInt64, pages: UInt64, _ byte: UInt8) throws {
        for page in 0 ..< pages {
            let bytes: [UInt8] = [byte &+ UInt8(truncatingIfNeeded: page)]
            let refused: RejectionReason? = bytes.withUnsafeBytes { buffer in
                do throws(RejectionReason) { try memory.writeUser(address: address + page * 4096 + 7, from: buffer) } catch { return error }
                return nil
            }
            if let refused { throw refused }
        }
    }

    func byte(_ memory: TestMemory, at address: UInt64) throws -> UInt8 {
        var value: UInt8 = 0
        try memory.readUser(address: address, length: 1) { value = $0[0] }
        return value
    }

    func frames(_ memory: TestMemory, _ address: UInt64, pages: UInt64) -> [FrameNumber?] {
        (0 ..< pages).map { memory.space.translate(VirtualAddress(address + $0 * 4096))?.frame }
    }

    @Test func growsInPlaceWhenThePagesAfterAreFree() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        try fill(&memory, address, pages: 4, 0x40)
        _ = try memory.protect(address: address, length: 4 * 4096, protection: 1, machine: machine).get()
        let before = frames(memory, address, pages: 4)
        let free = machine.freeFrameCount
        #expect(try memory.remap(address: address, oldLength: 4 * 4096, newLength: 10 * 4096, flags: 0, machine: &machine).get() == address)
        #expect(frames(memory, address, pages: 4) == before && machine.freeFrameCount == free - 6)
        #expect(try byte(memory, at: address + 3 * 4096 + 7) == 0x43 && byte(memory, at: address + 9 * 4096 + 7) == 0)
        #expect(memory.space.translate(VirtualAddress(address + 9 * 4096))?.flags.contains(.writable) == false, "the run's protection")
        #expect(memory.checkInvariants(ledger: memory.tableFrames) == nil)
    }

    @Test func movesEntriesNotBytesWhenBlocked() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 3 * 4096, protection: 3, machine: &machine).get()
        _ = try memory.map(hint: address + 4 * 4096, length: 4096, protection: 3, machine: &machine).get()  // the blocker
        try fill(&memory, address, pages: 3, 0x10)
        let before = frames(memory, address, pages: 3)
        let free = machine.freeFrameCount
        machine.recorder.events = []
        // Without mayMove: no room.
        let refused = memory.perform(.remap(address: address, oldLength: 3 * 4096, newLength: 8 * 4096, flags: 0), machine: &machine)
        #expect(refused.rejection == Rejection(.outOfMemory, .noRoomInPlace) && machine.freeFrameCount == free)
        let flags = RemapFlags(mayMove: true, alignment: 64 * 1024).rawValue
        let moved = try memory.remap(address: address, oldLength: 3 * 4096, newLength: 8 * 4096, flags: flags, machine: &machine).get()
        #expect(moved != address && moved % (64 * 1024) == 0)
        #expect(frames(memory, moved, pages: 3) == before, "the same frames, moved")
        #expect(frames(memory, address, pages: 3) == [nil, nil, nil])
        #expect(try (0 ..< 3).map { try byte(memory, at: moved + $0 * 4096 + 7) } == [0x10, 0x11, 0x12])
        #expect(try byte(memory, at: moved + 7 * 4096 + 7) == 0)
        #expect(machine.freeFrameCount <= free - 5 && machine.freeFrameCount >= free - 5 - 3, "5 new pages (+ tables)")
        let invalidated = (0 ..< 3).map { MachineEvent.invalidate(VirtualAddress(address + $0 * 4096)) }
        #expect(invalidated.allSatisfy(machine.recorder.events.contains), "the old run was flushed")
        #expect(memory.checkInvariants(ledger: memory.tableFrames) == nil)
        // The old run is gone: unmapping it is refused; the new one unmaps whole.
        #expect(memory.perform(.unmap(address: address, length: 4096), machine: &machine).rejection?.reason == .notMapped)
        _ = try memory.unmap(address: moved, length: 8 * 4096, machine: &machine).get()
        #expect(machine.freedBeforeInvalidation.isEmpty && memory.checkInvariants(ledger: memory.tableFrames) == nil)
    }

    @Test func shrinksAndKeepsTheSameSize() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 6 * 4096, protection: 3, machine: &machine).get()
        let free = machine.freeFrameCount
        #expect(try memory.remap(address: address, oldLength: 6 * 4096, newLength: 6 * 4096 - 100, flags: 1, machine: &machine).get() == address)
        #expect(machine.freeFrameCount == free)
        #expect(try memory.remap(address: address, oldLength: 6 * 4096, newLength: 2 * 4096, flags: 1, machine: &machine).get() == address)
        #expect(machine.freeFrameCount >= free + 4 && frames(memory, address, pages: 3).last! == nil)
        #expect(machine.freedBeforeInvalidation.isEmpty && memory.checkInvariants(ledger: memory.tableFrames) == nil)
    }

    @Test func outOfFramesWhileMovingChangesNothing() throws {
        var (memory, machine) = try makeProcess(frames: 96)
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        _ = try memory.map(hint: address + 5 * 4096, length: 4096, protection: 3, machine: &machine).get()
        let before = frames(memory, address, pages: 4)
        let free = machine.freeFrameCount
        let outcome = memory.perform(.remap(address: address, oldLength: 4 * 4096, newLength: 200 * 4096, flags: 1), machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .outOfFrames))
        #expect(machine.freeFrameCount == free && frames(memory, address, pages: 4) == before)
        #expect(memory.checkInvariants(ledger: memory.tableFrames) == nil)
    }

    @Test func refusals() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        func refused(_ request: MemoryRequest) -> Rejection? {
            let free = machine.freeFrameCount, pages = memory.pagesMapped
            let outcome = memory.perform(request, machine: &machine)
            #expect(machine.freeFrameCount == free && memory.pagesMapped == pages, "\(request) changed the process")
            #expect(outcome.result == -Int64(outcome.rejection?.errno.rawValue ?? 0))
            return outcome.rejection
        }
        #expect(refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 2)) == Rejection(.invalidArgument, .unknownRemapFlags))
        #expect(refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 1 | 5 << 8)) == Rejection(.invalidArgument, .invalidAlignment))
        #expect(refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 1 | 31 << 8)) == Rejection(.invalidArgument, .invalidAlignment))
        #expect(refused(.remap(address: address + 1, oldLength: 4096, newLength: 8192, flags: 1)) == Rejection(.invalidArgument, .misaligned))
        #expect(refused(.remap(address: address, oldLength: 0, newLength: 8192, flags: 1)) == Rejection(.invalidArgument, .zeroLength))
        #expect(refused(.remap(address: UserSpace.imageBase.raw, oldLength: 4096, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .imageOrStack))
        #expect(refused(.remap(address: UserSpace.stackStart.raw, oldLength: 4096, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .imageOrStack))
        #expect(refused(.remap(address: address, oldLength: 5 * 4096, newLength: 8 * 4096, flags: 1)) == Rejection(.badAddress, .notMapped))
        #expect(refused(.remap(address: address, oldLength: 4096, newLength: 0, flags: 1)) == Rejection(.invalidArgument, .zeroLength))
        #expect(refused(.remap(address: address, oldLength: 4096, newLength: UInt64.max, flags: 1)) == Rejection(.invalidArgument, .tooLarge))
        _ = try memory.protect(address: address + 4096, length: 4096, protection: 1, machine: machine).get()
        #expect(refused(.remap(address: address, oldLength: 2 * 4096, newLength: 8 * 4096, flags: 1))
                == Rejection(.badAddress, .mixedProtection))
        #expect(SyscallRequest.decode(number: 11, 1, 2, 3, 4) == .memory(.remap(address: 1, oldLength: 2, newLength: 3, flags: 4)))
        #expect(memory.checkInvariants(ledger: memory.tableFrames) == nil)
    }
}

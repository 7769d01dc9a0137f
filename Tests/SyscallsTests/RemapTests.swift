// remap in the demand-paged region model: runs (partly populated: private pages, zero-frame pages,
// holes) grow in place, move by their region records and present page-table entries (the same
// frames, no byte copied, holes stay holes), shrink; charges before and after; and every refusal
// has its errno and named reason and changes nothing (regions, charges, tables, frames).
import MemoryCore
import PageTables
import Syscalls
import Testing

/// What a refused call must leave exactly as it was.
struct ProcessSnapshot: Equatable {
    var regions: [Region]
    var committed: UInt64
    var systemCommitted: UInt64
    var freeFrames: UInt64
    var resident: Int
    var tableFrames: Int
    var zeroFrameLeaves: Int
    var mapNext: VirtualAddress

    init(_ memory: TestMemory, _ machine: SimulatedMachine) {
        regions = memory.regions.regions
        committed = memory.committedPages
        systemCommitted = machine.commit.committedPages
        freeFrames = machine.freeFrameCount
        resident = memory.pagesMapped
        tableFrames = memory.space.tableFrameCount
        zeroFrameLeaves = memory.zeroFrameLeaves
        mapNext = memory.mapNext
    }
}

@Suite struct RemapTests {
    /// A private page holding `value` at offset 7 (a write fault first).
    func write(_ memory: inout TestMemory, _ machine: inout SimulatedMachine, _ address: UInt64, _ value: UInt8) {
        #expect(memory.resolveFault(fault(address, .write), machine: &machine) == .success(.zeroFill))
        storeUserByte(memory, machine, address + 7, value)
    }

    /// A zero-frame page (a read fault).
    func read(_ memory: inout TestMemory, _ machine: inout SimulatedMachine, _ address: UInt64) {
        #expect(memory.resolveFault(fault(address, .read), machine: &machine) == .success(.zeroFrame))
    }

    func frames(_ memory: TestMemory, _ address: UInt64, pages: UInt64) -> [FrameNumber?] {
        (0 ..< pages).map { memory.space.translate(VirtualAddress(address + $0 * 4096))?.frame }
    }

    func checked(_ memory: TestMemory, _ machine: SimulatedMachine) -> Bool {
        memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil
            && machine.freedBeforeInvalidation.isEmpty
    }

    @Test func growsInPlaceDemandZeroChargingOnlyTheGrowth() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address, 0x41)
        read(&memory, &machine, address + 2 * 4096)
        let before = frames(memory, address, pages: 4)
        let committed = memory.committedPages, system = machine.commit.committedPages
        let resident = memory.pagesMapped, free = machine.freeFrameCount
        #expect(
            try memory.remap(address: address, oldLength: 4 * 4096, newLength: 10 * 4096, flags: 0, machine: &machine).get()
                == address)
        #expect(
            memory.regions.regions.contains(
                Region(
                    start: VirtualAddress(address), pageCount: 10, flags: TestMemory.userData,
                    kind: .anonymous, isCharged: true)))
        #expect(
            frames(memory, address, pages: 4) == before && frames(memory, address + 4 * 4096, pages: 6).allSatisfy { $0 == nil })
        #expect(
            memory.committedPages == committed + 6 && machine.commit.committedPages == system + 6, "six data pages, no new table")
        #expect(memory.pagesMapped == resident && machine.freeFrameCount == free, "no frame until touched")
        #expect(userByte(memory, machine, address + 7) == 0x41)
        write(&memory, &machine, address + 9 * 4096, 0x49)  // a grown page faults in like any map page
        #expect(checked(memory, machine))
        // populate (bit 1): the growth is backed at the call.
        let populate = RemapFlags(mayMove: false, populate: true).rawValue
        #expect(
            try memory.remap(address: address, oldLength: 10 * 4096, newLength: 12 * 4096, flags: populate, machine: &machine)
                .get()
                == address)
        #expect(memory.pagesMapped == resident + 1 + 2 && userByte(memory, machine, address + 11 * 4096) == 0)
        #expect(checked(memory, machine))
    }

    @Test func readOnlyGrowthIsUnchargedAndMapsNothing() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 2 * 4096, protection: 1, machine: &machine).get()
        read(&memory, &machine, address)
        let committed = memory.committedPages
        #expect(
            try memory.remap(address: address, oldLength: 2 * 4096, newLength: 8 * 4096, flags: 0, machine: &machine).get()
                == address)
        #expect(memory.committedPages == committed, "read-only pages can only map the zero frame: no charge")
        #expect(memory.regions.region(containing: VirtualAddress(address + 7 * 4096))?.flags.contains(.writable) == false)
        #expect(checked(memory, machine))
    }

    @Test func movesRegionsAndPresentEntriesOnly() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 3 * 4096, protection: 3, machine: &machine).get()
        _ = try memory.map(hint: address + 4 * 4096, length: 4096, protection: 3, machine: &machine).get()  // the blocker
        write(&memory, &machine, address, 0x10)  // page 0 private, page 1 the zero frame, page 2 a hole
        read(&memory, &machine, address + 4096)
        let before = frames(memory, address, pages: 3)
        let snapshot = ProcessSnapshot(memory, machine)
        machine.recorder.events = []
        let refused = memory.perform(
            .remap(address: address, oldLength: 3 * 4096, newLength: 8 * 4096, flags: 0), machine: &machine)
        #expect(refused.rejection == Rejection(.outOfMemory, .noRoomInPlace) && ProcessSnapshot(memory, machine) == snapshot)
        let flags = RemapFlags(mayMove: true, alignment: 64 * 1024).rawValue
        let moved = try memory.remap(address: address, oldLength: 3 * 4096, newLength: 8 * 4096, flags: flags, machine: &machine)
            .get()
        #expect(moved != address && moved % (64 * 1024) == 0 && moved >= memory.mapNext.raw - 8 * 4096)
        #expect(frames(memory, moved, pages: 3) == before, "the same frames (and the zero frame and the hole), moved")
        #expect(
            memory.space.translate(VirtualAddress(moved + 4096))?.flags.contains(.writable) == false, "still a zero-frame mapping"
        )
        #expect(
            frames(memory, address, pages: 3) == [nil, nil, nil] && !memory.isMapped(from: VirtualAddress(address), pageCount: 1))
        #expect(memory.regions.region(containing: VirtualAddress(moved))?.end == VirtualAddress(moved + 8 * 4096))
        #expect(userByte(memory, machine, moved + 7) == 0x10 && userByte(memory, machine, moved + 4096 + 7) == 0)
        #expect(memory.committedPages == snapshot.committed + 5, "only the growth (the new place's tables are those freed)")
        #expect(memory.pagesMapped == snapshot.resident && memory.zeroFrameLeaves == snapshot.zeroFrameLeaves)
        #expect(
            machine.recorder.events.contains(.invalidate(VirtualAddress(address)))
                && machine.recorder.events.contains(.invalidate(VirtualAddress(address + 4096))), "the old pages were flushed")
        #expect(checked(memory, machine))
        // The moved run faults in as before: the zero-frame page is replaced on its first write.
        #expect(
            memory.resolveFault(fault(moved + 4096, .write, present: true), machine: &machine) == .success(.zeroFrameReplaced))
        #expect(memory.perform(.unmap(address: address, length: 4096), machine: &machine).rejection?.reason == .notMapped)
        _ = try memory.unmap(address: moved, length: 8 * 4096, machine: &machine).get()
        #expect(memory.committedPages == snapshot.committed - 3 && checked(memory, machine))
    }

    @Test func shrinkingFreesTheTailsFramesAndCharge() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 6 * 4096, protection: 3, machine: &machine).get()
        for page: UInt64 in [0, 3, 5] { write(&memory, &machine, address + page * 4096, UInt8(page)) }
        read(&memory, &machine, address + 4 * 4096)
        let snapshot = ProcessSnapshot(memory, machine)
        #expect(
            try memory.remap(address: address, oldLength: 6 * 4096, newLength: 6 * 4096 - 100, flags: 1, machine: &machine).get()
                == address)
        #expect(ProcessSnapshot(memory, machine) == snapshot, "the same page count changes nothing")
        machine.recorder.events = []
        #expect(
            try memory.remap(address: address, oldLength: 6 * 4096, newLength: 2 * 4096, flags: 1, machine: &machine).get()
                == address)
        #expect(memory.pagesMapped == snapshot.resident - 2 && machine.freeFrameCount == snapshot.freeFrames + 2)
        #expect(memory.zeroFrameLeaves == snapshot.zeroFrameLeaves - 1 && memory.committedPages == snapshot.committed - 4)
        #expect(machine.commit.committedPages == snapshot.systemCommitted - 4)
        #expect(memory.regions.region(containing: VirtualAddress(address))?.end == VirtualAddress(address + 2 * 4096))
        #expect(
            userByte(memory, machine, address + 7) == 0 && frames(memory, address, pages: 6).suffix(4).allSatisfy { $0 == nil })
        #expect(checked(memory, machine))
    }

    /// Growth is charged before anything changes, in place and moving, against the system's
    /// limit and the process's quota; a refusal names which and changes nothing.
    @Test func growthBeyondTheChargeLimitsChangesNothing() throws {
        var (memory, machine) = try makeProcess(frames: 4096, commitLimit: 600)
        let blocked = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        _ = try memory.map(hint: blocked + 5 * 4096, length: 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, blocked, 0x33)
        let free = try memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get()  // room after it
        for (address, flags) in [(free, UInt64(0)), (blocked, UInt64(1))] {  // in place, then moving
            let snapshot = ProcessSnapshot(memory, machine)
            let outcome = memory.perform(
                .remap(address: address, oldLength: 4096, newLength: 1000 * 4096, flags: flags), machine: &machine)
            #expect(outcome.rejection == Rejection(.outOfMemory, .commitLimit) && ProcessSnapshot(memory, machine) == snapshot)
            #expect(memory.lastCommitRefusal?.reason == .commitLimit && memory.lastCommitRefusal!.requestedPages >= 999)
        }
        memory.quotaPages = memory.committedPages + 10
        let snapshot = ProcessSnapshot(memory, machine)
        let outcome = memory.perform(.remap(address: free, oldLength: 4096, newLength: 40 * 4096, flags: 0), machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .quotaExceeded) && ProcessSnapshot(memory, machine) == snapshot)
        #expect(
            try memory.remap(address: free, oldLength: 4096, newLength: 8 * 4096, flags: 0, machine: &machine).get() == free,
            "within the quota")
        #expect(userByte(memory, machine, blocked + 7) == 0x33 && checked(memory, machine))
    }

    /// Frames taken behind the ledger's back (a host double withholding them): the populated
    /// move is undone whole.
    @Test func outOfFramesWhileMovingChangesNothing() throws {
        var (memory, machine) = try makeProcess(frames: 96, commitLimit: 100_000)
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        _ = try memory.map(hint: address + 5 * 4096, length: 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address + 4096, 0x21)
        let before = frames(memory, address, pages: 4)
        let snapshot = ProcessSnapshot(memory, machine)
        let flags = RemapFlags(mayMove: true, populate: true).rawValue
        let outcome = memory.perform(
            .remap(address: address, oldLength: 4 * 4096, newLength: 200 * 4096, flags: flags), machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .outOfFrames))
        #expect(ProcessSnapshot(memory, machine) == snapshot && frames(memory, address, pages: 4) == before)
        #expect(userByte(memory, machine, address + 4096 + 7) == 0x21 && checked(memory, machine))
    }

    @Test func refusals() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        write(&memory, &machine, address, 1)
        func refused(_ request: MemoryRequest) -> Rejection? {
            let snapshot = ProcessSnapshot(memory, machine)
            let outcome = memory.perform(request, machine: &machine)
            #expect(ProcessSnapshot(memory, machine) == snapshot, "\(request) changed the process")
            #expect(outcome.result == -Int64(outcome.rejection?.errno.rawValue ?? 0))
            return outcome.rejection
        }
        #expect(
            refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 8))
                == Rejection(.invalidArgument, .unknownRemapFlags))
        #expect(
            refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 1 | 5 << 8))
                == Rejection(.invalidArgument, .badAlignment))
        #expect(
            refused(.remap(address: address, oldLength: 4096, newLength: 8192, flags: 1 | 31 << 8))
                == Rejection(.invalidArgument, .badAlignment))
        #expect(
            refused(.remap(address: address + 1, oldLength: 4096, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .badRange(.misaligned)))
        #expect(
            refused(.remap(address: address, oldLength: 0, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .badRange(.zeroLength)))
        #expect(
            refused(.remap(address: UserSpace.imageBase.raw, oldLength: 4096, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .imageOrStack))
        #expect(
            refused(.remap(address: UserSpace.stackStart.raw, oldLength: 4096, newLength: 8192, flags: 1))
                == Rejection(.invalidArgument, .imageOrStack))
        #expect(
            refused(.remap(address: address, oldLength: 5 * 4096, newLength: 8 * 4096, flags: 1))
                == Rejection(.badAddress, .notMapped))
        #expect(
            refused(.remap(address: address - 4096, oldLength: 2 * 4096, newLength: 8 * 4096, flags: 1))
                == Rejection(.badAddress, .notMapped))
        #expect(
            refused(.remap(address: address, oldLength: 4096, newLength: 0, flags: 1))
                == Rejection(.invalidArgument, .badRange(.zeroLength)))
        #expect(
            refused(.remap(address: address, oldLength: 4096, newLength: UInt64.max, flags: 1))
                == Rejection(.invalidArgument, .badRange(.tooLarge)))
        _ = try memory.protect(address: address + 4096, length: 4096, protection: 1, machine: &machine).get()
        #expect(
            refused(.remap(address: address, oldLength: 2 * 4096, newLength: 8 * 4096, flags: 1))
                == Rejection(.badAddress, .mixedProtection))
        #expect(
            SyscallRequest.decode(number: 11, 1, 2, 3, 4) == .memory(.remap(address: 1, oldLength: 2, newLength: 3, flags: 4)))
        #expect(checked(memory, machine))
    }

    /// One alignment rule: remap's field is map's, decoded by MapOptions.
    @Test func flagsShareMapsAlignmentRule() throws {
        for shift: UInt64 in [0, 11, 12, 16, 30, 31, 63] {
            let mapAlignment = Result { () throws(RejectionReason) in try MapOptions.decode(shift << 8).alignmentPages * 4096 }
            let remapAlignment = Result { () throws(RejectionReason) in try RemapFlags.decode(1 | shift << 8).alignment }
            #expect(mapAlignment == remapAlignment, "shift \(shift)")
        }
        let flags = RemapFlags(mayMove: true, populate: true, alignment: 1 << 16)
        #expect(try RemapFlags.decode(flags.rawValue) == flags && flags.rawValue == 1 | 2 | 16 << 8)
    }
}

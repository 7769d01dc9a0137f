// Demand paging, the shared zero frame, strict commit and the fault handler's order: one test per
// rule (the randomized model test is VirtualMemoryModelTests).
import MemoryCore
import PageTables
import Syscalls
import Testing

/// The byte at `address` as the process sees it (through its page tables), nil when not backed.
func userByte(_ memory: TestMemory, _ machine: SimulatedMachine, _ address: UInt64) -> UInt8? {
    guard let translation = memory.space.translate(VirtualAddress(address)) else { return nil }
    return machine.ram.pointer(to: translation.physical).load(as: UInt8.self)
}

/// Stores through the page tables as a ring-3 write would once its fault was resolved.
func storeUserByte(_ memory: TestMemory, _ machine: SimulatedMachine, _ address: UInt64, _ value: UInt8) {
    let translation = memory.space.translate(VirtualAddress(address))!
    precondition(translation.flags.contains(.writable) && translation.frame != machine.sharedZeroFrame)
    machine.ram.pointer(to: translation.physical).storeBytes(of: value, as: UInt8.self)
}

func fault(_ address: UInt64, _ access: FaultAccess, present: Bool = false, user: Bool = true) -> PageFault {
    PageFault(address: VirtualAddress(address), access: access, wasPresent: present, fromUser: user)
}

@Suite struct DemandPagingTests {
    @Test func mapReservesAndChargesButBacksNothing() throws {
        var (memory, machine) = try makeProcess()
        let resident = memory.pagesMapped, committed = memory.committedPages, free = machine.freeFrameCount
        let address = try memory.map(hint: 0, length: 64 * 4096, protection: 3, machine: &machine).get()
        #expect(memory.pagesMapped == resident && machine.freeFrameCount == free, "no frame at map")
        #expect(memory.committedPages == committed + 64 + 3, "64 pages and a PT, PD and PDPT charged")
        #expect(machine.commit.committedPages == memory.committedPages)
        #expect(memory.space.translate(VirtualAddress(address)) == nil)
    }

    @Test func aFirstReadMapsTheSharedZeroFrameAndAFirstWriteReplacesIt() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 3, machine: &machine).get()
        let resident = memory.pagesMapped
        #expect(memory.resolveFault(fault(address + 5, .read), machine: &machine) == .success(.zeroFrame))
        let read = try #require(memory.space.translate(VirtualAddress(address)))
        #expect(read.frame == machine.sharedZeroFrame && !read.flags.contains(.writable) && memory.pagesMapped == resident)
        #expect(userByte(memory, machine, address + 5) == 0)
        machine.recorder.events = []
        #expect(memory.resolveFault(fault(address + 5, .write, present: true), machine: &machine) == .success(.zeroFrameReplaced))
        #expect(machine.recorder.events == [.invalidate(VirtualAddress(address))], "invlpg after the remap")
        let written = try #require(memory.space.translate(VirtualAddress(address)))
        #expect(
            written.frame != machine.sharedZeroFrame && written.flags.contains(.writable) && memory.pagesMapped == resident + 1)
        storeUserByte(memory, machine, address + 5, 0x77)
        #expect(machine.ram.pointer(to: machine.sharedZeroFrame.startAddress).load(fromByteOffset: 5, as: UInt8.self) == 0)
        #expect(memory.resolveFault(fault(address + 4096, .write), machine: &machine) == .success(.zeroFill))
        #expect(userByte(memory, machine, address + 4096) == 0)
        #expect(memory.zeroFillFaults == 2 && memory.protectionFaults == 1 && memory.zeroFrameFaults == 1)
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    /// The handler's order: kernel mode, then a region, then the region's protection.
    @Test func refusalsComeInTheHandlersOrder() throws {
        var (memory, machine) = try makeProcess()
        let readOnly = try memory.map(hint: 0, length: 4096, protection: 1, machine: &machine).get()
        let data = try memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get()
        #expect(memory.resolveFault(fault(data, .write, user: false), machine: &machine) == .failure(.kernelMode))
        #expect(memory.resolveFault(fault(0x10_0000, .read), machine: &machine) == .failure(.kernelMemory))
        #expect(
            memory.resolveFault(fault(UserSpace.stackGuardGapStart.raw + 8, .write), machine: &machine)
                == .failure(.stackGuardGap))
        #expect(memory.resolveFault(fault(data + 4096, .read), machine: &machine) == .failure(.notMapped), "the gap page")
        #expect(memory.resolveFault(fault(readOnly, .write), machine: &machine) == .failure(.protectionViolation))
        #expect(memory.resolveFault(fault(data, .execute), machine: &machine) == .failure(.protectionViolation), "NX")
        #expect(memory.resolveFault(fault(readOnly, .read), machine: &machine) == .success(.zeroFrame))
        #expect(memory.resolveFault(fault(readOnly, .write, present: true), machine: &machine) == .failure(.protectionViolation))
        #expect(memory.resolveFault(fault(readOnly, .read), machine: &machine) == .success(.alreadyResolved))
        #expect(memory.pagesMapped == 2, "the image's two pages only")
    }

    @Test func theStackIsChargedWholeAndBackedPageByPage() throws {
        var (memory, machine) = try makeProcess()
        let resident = memory.pagesMapped
        #expect(memory.committedPages >= UserSpace.stackPages + 2)
        #expect(memory.resolveFault(fault(UserSpace.stackEnd.raw - 8, .write), machine: &machine) == .success(.zeroFill))
        #expect(memory.resolveFault(fault(UserSpace.stackStart.raw, .write), machine: &machine) == .success(.zeroFill))
        #expect(memory.resolveFault(fault(UserSpace.stackStart.raw - 1, .write), machine: &machine) == .failure(.stackGuardGap))
        #expect(memory.pagesMapped == resident + 2)
    }

    @Test func populateBacksEveryPageAtMap() throws {
        var (memory, machine) = try makeProcess()
        let resident = memory.pagesMapped
        let address = try memory.map(hint: 0, length: 8 * 4096, protection: 1, options: MapOptions.populateBit, machine: &machine)
            .get()
        #expect(memory.pagesMapped == resident + 8)
        #expect(
            memory.regions.region(containing: VirtualAddress(address))?.isCharged == true, "populated read-only memory is charged"
        )
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    @Test func alignmentPlacesUnhintedMapsOnTheBoundary() throws {
        var (memory, machine) = try makeProcess()
        _ = try memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get()
        for shift: UInt64 in [16, 21, 30] {
            let address = try memory.map(hint: 0, length: 4096, protection: 3, options: shift << 8, machine: &machine).get()
            #expect(address % (1 << shift) == 0, "2^\(shift)")
        }
    }

    @Test func protectOnPartlyBackedMemoryChargesAndKeepsZeroFramePagesReadOnly() throws {
        var (memory, machine) = try makeProcess(frames: 1024)
        let address = try memory.map(hint: 0, length: 4 * 4096, protection: 1, machine: &machine).get()
        let committed = memory.committedPages
        _ = memory.resolveFault(fault(address, .read), machine: &machine)
        _ = try memory.protect(address: address, length: 4 * 4096, protection: 3, machine: &machine).get()
        #expect(memory.committedPages == committed + 4, "read-only -> read-write commits the pages")
        let page = try #require(memory.space.translate(VirtualAddress(address)))
        #expect(page.frame == machine.sharedZeroFrame && !page.flags.contains(.writable), "the zero frame stays read-only")
        #expect(memory.resolveFault(fault(address, .write, present: true), machine: &machine) == .success(.zeroFrameReplaced))
        storeUserByte(memory, machine, address, 9)
        _ = try memory.protect(address: address, length: 4 * 4096, protection: 1, machine: &machine).get()
        #expect(memory.committedPages == committed + 4, "the charge stays: the page holds private data")
        #expect(
            userByte(memory, machine, address) == 9
                && memory.space.translate(VirtualAddress(address))?.flags.contains(.writable) == false)
        memory.quotaPages = memory.committedPages
        let other = try memory.map(hint: 0, length: 4 * 4096, protection: 1, machine: &machine).get()
        let before = memory.regions.regions
        #expect(
            memory.protect(address: other, length: 4 * 4096, protection: 3, machine: &machine)
                == .failure(Rejection(.outOfMemory, .quotaExceeded)))
        #expect(memory.regions.regions == before, "a refused protect changes nothing")
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    @Test func unmapOfAPartlyBackedRangeFreesOnlyItsPrivateFramesAndReleasesTheCharge() throws {
        var (memory, machine) = try makeProcess()
        let committed = memory.committedPages, free = machine.freeFrameCount
        let address = try memory.map(hint: 0, length: 16 * 4096, protection: 3, machine: &machine).get()
        _ = memory.resolveFault(fault(address, .read), machine: &machine)
        _ = memory.resolveFault(fault(address + 3 * 4096, .write), machine: &machine)
        _ = memory.resolveFault(fault(address + 9 * 4096, .write), machine: &machine)
        _ = try memory.unmap(address: address, length: 8 * 4096, machine: &machine).get()
        #expect(memory.zeroFrameLeaves == 0 && memory.pagesMapped == 2 + 1)
        _ = try memory.unmap(address: address + 8 * 4096, length: 8 * 4096, machine: &machine).get()
        #expect(memory.committedPages == committed && machine.freeFrameCount == free && machine.freedBeforeInvalidation.isEmpty)
        #expect(!machine.pool.free.contains(machine.sharedZeroFrame), "the zero frame is never freed")
    }

    @Test func theBreakIsDemandPagedAndCharged() throws {
        var (memory, machine) = try makeProcess()
        let resident = memory.pagesMapped, committed = memory.committedPages
        let target = memory.breakStart.raw + 10 * 4096
        #expect(memory.brk(requested: target, machine: &machine).result == Int64(target))
        #expect(memory.pagesMapped == resident && memory.committedPages == committed + 10)
        #expect(memory.resolveFault(fault(memory.breakStart.raw + 4096, .write), machine: &machine) == .success(.zeroFill))
        #expect(memory.brk(requested: memory.breakStart.raw, machine: &machine).result == Int64(memory.breakStart.raw))
        #expect(memory.pagesMapped == resident && memory.committedPages == committed)
    }

    @Test func aChargeBeyondTheLimitIsRefusedAndNamed() throws {
        // Image, stack and tables fit; 200 pages more do not.
        var (memory, machine) = try makeProcess(commitLimit: 144 + UserSpace.stackPages)
        let outcome = memory.perform(.map(hint: 0, length: 200 * 4096, protection: 3, options: 0), machine: &machine)
        #expect(outcome.rejection == Rejection(.outOfMemory, .commitLimit))
        #expect(memory.lastCommitRefusal == CommitRefusal(requestedPages: 203, reason: .commitLimit))
        let readOnly = memory.perform(.map(hint: 0, length: 200 * 4096, protection: 1, options: 0), machine: &machine)
        #expect(readOnly.rejection == nil, "read-only reservations charge only their tables")
        let brk = memory.perform(.brk(requested: memory.breakStart.raw + 200 * 4096), machine: &machine)
        #expect(brk.rejection == Rejection(.outOfMemory, .commitLimit) && brk.result == Int64(memory.breakCurrent.raw))
    }

    @Test func destroyingReturnsEveryFrameAndEveryCharge() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 64 * 4096, protection: 3, machine: &machine).get()
        for page in stride(from: 0, to: 64, by: 3) {
            _ = memory.resolveFault(fault(address + UInt64(page) * 4096, page % 2 == 0 ? .write : .read), machine: &machine)
        }
        _ = memory.brk(requested: memory.breakStart.raw + 5 * 4096, machine: &machine)
        _ = memory.resolveFault(fault(memory.breakStart.raw, .write), machine: &machine)
        _ = memory.destroy(machine: &machine)
        #expect(machine.commit.committedPages == 0)
        #expect(machine.pool.userFrames.isEmpty && machine.pool.tableFrames.isEmpty)
        #expect(machine.pool.free.count == machine.ram.frameCount - 2, "all but frame 0 (never pooled) and the zero frame")
    }

    @Test func userCopiesFaultPagesIn() throws {
        var (memory, machine) = try makeProcess()
        let address = try memory.map(hint: 0, length: 2 * 4096, protection: 3, machine: &machine).get()
        #expect(memory.write(address: address + 4000, length: 200, machine: &machine) == .success(200))
        #expect(machine.console == Array(repeating: 0, count: 200), "reserved pages read as zero")
        #expect(memory.zeroFrameFaults == 2 && memory.pagesMapped == 2)
        #expect(memory.memstat(output: address + 4000, machine: &machine) == .success(0))
        #expect(memory.pagesMapped == 4, "the record's two pages were faulted in for writing")
    }
}

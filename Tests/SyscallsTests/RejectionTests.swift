// Every refusal of every memory call: its errno (the ABI's, docs/syscalls.md) and its own named
// reason, and that a refused call changes nothing.
import MemoryCore
import PageTables
import Syscalls
import Testing

@Suite struct RejectionTests {
    /// Performs `request` and expects it refused with `errno` for `reason`, the process unchanged.
    func expectRefused(
        _ request: MemoryRequest, _ errno: Errno, _ reason: RejectionReason,
        memory: inout TestMemory, machine: inout SimulatedMachine,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let before = memory.statistics
        let freeBefore = machine.freeFrameCount
        let outcome = memory.perform(request, machine: &machine)
        #expect(outcome.rejection == Rejection(errno, reason), "\(request)", sourceLocation: sourceLocation)
        if case .brk = request {
            #expect(outcome.result == Int64(bitPattern: before.breakCurrent), sourceLocation: sourceLocation)
        } else {
            #expect(outcome.result == -Int64(errno.rawValue), sourceLocation: sourceLocation)
        }
        #expect(
            memory.statistics == before && machine.freeFrameCount == freeBefore, "\(request) changed the process",
            sourceLocation: sourceLocation)
    }

    @Test func unmapNamesEachOfItsThreeEinvalCauses() throws {
        var (memory, machine) = try makeProcess()
        let mapped = try #require(try? memory.map(hint: 0, length: 8192, protection: 3, machine: &machine).get())
        expectRefused(
            .unmap(address: mapped + 1, length: 4096), .invalidArgument, .badRange(.misaligned), memory: &memory,
            machine: &machine)
        expectRefused(
            .unmap(address: mapped, length: 0), .invalidArgument, .badRange(.zeroLength), memory: &memory, machine: &machine)
        expectRefused(.unmap(address: mapped, length: 3 * 4096), .invalidArgument, .notMapped, memory: &memory, machine: &machine)
        expectRefused(
            .unmap(address: UserSpace.imageBase.raw, length: 4096), .invalidArgument, .imageOrStack,
            memory: &memory, machine: &machine)
        expectRefused(
            .unmap(address: UserSpace.stackStart.raw, length: 4096), .invalidArgument, .imageOrStack,
            memory: &memory, machine: &machine)
        expectRefused(
            .unmap(address: 0x1000, length: 4096), .invalidArgument, .badRange(.touchesKernel), memory: &memory, machine: &machine
        )
        expectRefused(
            .unmap(address: UserSpace.end.raw, length: 4096), .invalidArgument, .badRange(.outsideUserRange),
            memory: &memory, machine: &machine)
        expectRefused(
            .unmap(address: mapped, length: UInt64.max), .invalidArgument, .badRange(.tooLarge), memory: &memory,
            machine: &machine)
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    @Test func mapRefusals() throws {
        var (memory, machine) = try makeProcess(frames: 1024)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 8 | 1, options: 0), .invalidArgument, .badProtection(.unknownBits),
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 2, options: 0), .invalidArgument, .badProtection(.notReadable),
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 7, options: 0), .invalidArgument, .badProtection(.writeAndExecute),
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0, length: 0, protection: 3, options: 0), .invalidArgument, .badRange(.zeroLength), memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: 0, length: UInt64.max, protection: 3, options: 0), .invalidArgument, .badRange(.tooLarge), memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: 0x1000_0000_0001, length: 4096, protection: 3, options: 0), .invalidArgument, .badRange(.misaligned),
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0x1000, length: 4096, protection: 3, options: 0), .exists, .badRange(.touchesKernel), memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: UserSpace.imageBase.raw, length: 4096, protection: 3, options: 0), .exists, .imageOrStack,
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: UserSpace.stackGuardGapStart.raw, length: 4096, protection: 3, options: 0), .exists, .imageOrStack,
            memory: &memory, machine: &machine)
        let mapped = try #require(try? memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get())
        expectRefused(
            .map(hint: mapped, length: 4096, protection: 1, options: 0), .exists, .overlapsMapping, memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: 0, length: 2000 * 4096, protection: 3, options: 0), .outOfMemory, .commitLimit, memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: 0, length: 1 << 30, protection: 3, options: 0), .outOfMemory, .quotaExceeded, memory: &memory,
            machine: &machine)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 3, options: 1 << 2), .invalidArgument, .unknownMapOptions,
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 3, options: 40 << 8), .invalidArgument, .badAlignment,
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0, length: 4096, protection: 3, options: 11 << 8), .invalidArgument, .badAlignment,
            memory: &memory, machine: &machine)
        expectRefused(
            .map(hint: 0x1000_0000_1000, length: 4096, protection: 3, options: 21 << 8), .invalidArgument, .badRange(.misaligned),
            memory: &memory, machine: &machine)
        memory.quotaPages = memory.committedPages + 8
        expectRefused(
            .map(hint: 0, length: 64 * 4096, protection: 3, options: 0), .outOfMemory, .quotaExceeded,
            memory: &memory, machine: &machine)
        #expect(memory.checkInvariants(zeroFrame: machine.sharedZeroFrame, ledger: memory.tableFrames) == nil)
    }

    @Test func protectWriteMemstatBrkRefusals() throws {
        var (memory, machine) = try makeProcess()
        let mapped = try #require(try? memory.map(hint: 0, length: 4096, protection: 3, machine: &machine).get())
        expectRefused(
            .protect(address: mapped, length: 4096, protection: 7), .invalidArgument, .badProtection(.writeAndExecute),
            memory: &memory, machine: &machine)
        expectRefused(
            .protect(address: UserSpace.imageBase.raw, length: 4096, protection: 1), .invalidArgument, .imageOrStack,
            memory: &memory, machine: &machine)
        expectRefused(
            .protect(address: mapped, length: 8192, protection: 1), .invalidArgument, .notMapped,
            memory: &memory, machine: &machine)
        expectRefused(.write(address: mapped, length: 4097), .invalidArgument, .writeTooLong, memory: &memory, machine: &machine)
        expectRefused(
            .write(address: 0x10_0000, length: 1), .badAddress, .badRange(.touchesKernel), memory: &memory, machine: &machine)
        expectRefused(.write(address: mapped + 4000, length: 200), .badAddress, .notMapped, memory: &memory, machine: &machine)
        #expect(memory.perform(.protect(address: mapped, length: 4096, protection: 1), machine: &machine).rejection == nil)
        expectRefused(.memstat(output: mapped), .badAddress, .noAccess, memory: &memory, machine: &machine)
        expectRefused(
            .brk(requested: UserSpace.imageBase.raw), .outOfMemory, .breakBelowStart, memory: &memory, machine: &machine)
        expectRefused(
            .brk(requested: memory.breakStart.raw + (1 << 30) + 1), .outOfMemory, .breakBeyondLimit,
            memory: &memory, machine: &machine)
        #expect(SyscallRequest.decode(number: 99, 0, 0, 0, 0) == .unknown(number: 99))
        #expect(SyscallOutcome.unknownNumber.result == -38 && SyscallOutcome.unknownNumber.rejection?.reason == .unknownNumber)
    }

    @Test func reasonsHaveDistinctNames() {
        let reasons: [RejectionReason] = [
            .badRange(.zeroLength), .badRange(.misaligned), .badRange(.tooLarge), .badRange(.wrapsAround),
            .badRange(.touchesKernel), .badRange(.outsideUserRange), .badProtection(.unknownBits),
            .badProtection(.notReadable), .badProtection(.writeAndExecute), .notMapped, .noAccess, .imageOrStack,
            .overlapsMapping, .mapAreaFull,
            .outOfFrames, .outOfTableFrames, .writeTooLong, .breakBelowStart, .breakBeyondLimit, .unknownNumber,
            .commitLimit, .quotaExceeded, .unknownMapOptions, .badAlignment,
            .unknownRemapFlags, .mixedProtection, .noRoomInPlace,
        ]
        #expect(Set(reasons.map { $0.name.description }).count == reasons.count)
    }
}

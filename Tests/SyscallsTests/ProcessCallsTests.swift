// The process calls (spawn, wait, yield, getpid) through ProcessCalls.perform, on a host machine
// whose scheduler is Scheduling's ProcessTable (the kernel's) and whose caller's memory is a
// ProcessMemory over simulated RAM: every refusal with its errno and named reason, that a refused
// call changes nothing, and the status words that come back.
import MemoryCore
import PageTables
import Scheduling
import Syscalls
import Testing

/// The caller is the table's current process; spawned children "run" when the test says so.
struct HostProcessMachine: ProcessMachine {
    var memory: TestMemory
    /// The caller's frames (its pages are faulted in before a call reads or writes them).
    var frames: SimulatedMachine
    var table = ProcessTable(capacity: 8, treeLimit: 4)
    let programs: [String]
    /// How each child will end when it runs (by pid).
    var endings: [Int: UInt64] = [:]
    var yields = 0

    init(memory: TestMemory, frames: SimulatedMachine, programs: [String]) throws {
        self.memory = memory
        self.frames = frames
        self.programs = programs
        _ = try table.create(parent: nil)
        _ = table.next()
    }

    var callerID: UInt64 { UInt64(table.current!.raw) }

    mutating func readCaller(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason)
    {
        try memory.copyFromUser(address: address, length: length, into: buffer, machine: &frames)
    }

    mutating func checkCallerWritable(address: UInt64, length: UInt64) throws(RejectionReason) {
        try memory.prepareUserWrite(address: address, length: length, machine: &frames)
    }

    mutating func writeCaller(address: UInt64, from bytes: UnsafeRawBufferPointer) throws(RejectionReason) {
        try memory.writeUser(address: address, from: bytes, machine: &frames)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer) -> Result<UInt64, SpawnFailure> {
        guard programs.contains(String(decoding: name, as: UTF8.self)) else { return .failure(.noSuchProgram) }
        do throws(SpawnRefusal) {
            return .success(UInt64(try table.create(parent: table.current).raw))
        } catch {
            return .failure(error == .tableFull ? .processTableFull : .processTreeFull)
        }
    }

    /// Blocking means: every other process runs to its end (its `endings` status), then the caller.
    mutating func waitForChild(_ pid: UInt64?) -> ChildWait {
        let caller = table.current!
        while true {
            switch table.wait(for: pid.map { ProcessID(Int($0)) }) {
            case .reaped(let child, let status): return .ended(pid: UInt64(child.raw), status: status)
            case .noSuchChild: return .noSuchChild
            case .blocked:
                while let next = table.next() {
                    if next == caller { break }
                    _ = table.exitCurrent(status: endings[next.raw] ?? 0)
                }
            }
        }
    }

    mutating func yield() {
        yields += 1
        table.preemptCurrent()
        _ = table.next()
    }
}

@Suite struct ProcessCallsTests {
    func makeMachine() throws -> HostProcessMachine {
        let (memory, frames) = try makeProcess()
        return try HostProcessMachine(memory: memory, frames: frames, programs: ["hello", "bad_pointer"])
    }

    /// Writes `name` into the caller's image (read-write in these tests) and returns its address.
    func place(_ name: String, in machine: inout HostProcessMachine) throws -> UInt64 {
        let address = UserSpace.imageBase.raw + 64
        let written = Array(name.utf8).withUnsafeBytes { bytes in (try? machine.writeCaller(address: address, from: bytes)) != nil
        }
        try #require(written)
        return address
    }

    func expectRefused(
        _ request: ProcessRequest, _ errno: Errno, _ reason: RejectionReason, machine: inout HostProcessMachine,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let entries = machine.table.entries
        let outcome = ProcessCalls.perform(request, machine: &machine)
        #expect(outcome.rejection == Rejection(errno, reason), "\(request)", sourceLocation: sourceLocation)
        #expect(outcome.result == -Int64(errno.rawValue), sourceLocation: sourceLocation)
        #expect(machine.table.entries == entries, "\(request) changed the table", sourceLocation: sourceLocation)
    }

    @Test func spawnRefusesEachBadNameWithItsOwnReason() throws {
        var machine = try makeMachine()
        let hello = try place("hello", in: &machine)
        expectRefused(.spawn(name: hello, length: 0), .invalidArgument, .badRange(.zeroLength), machine: &machine)
        expectRefused(.spawn(name: hello, length: 65), .invalidArgument, .programNameTooLong, machine: &machine)
        expectRefused(.spawn(name: 0x1000, length: 5), .badAddress, .badRange(.touchesKernel), machine: &machine)
        expectRefused(.spawn(name: UserSpace.mapAreaStart.raw, length: 5), .badAddress, .notMapped, machine: &machine)
        expectRefused(.spawn(name: hello, length: 4), .noSuchEntry, .noSuchProgram, machine: &machine)  // "hell"
        for _ in 0 ..< 3 { #expect(ProcessCalls.perform(.spawn(name: hello, length: 5), machine: &machine).rejection == nil) }
        expectRefused(.spawn(name: hello, length: 5), .tryAgain, .processTreeFull, machine: &machine)
    }

    @Test func waitReturnsEachChildOnceWithItsStatus() throws {
        var machine = try makeMachine()
        let hello = try place("hello", in: &machine)
        let statusAddress = UserSpace.stackEnd.raw - 64
        expectRefused(.wait(pid: 0, statusOutput: 0), .noChild, .notAChild, machine: &machine)
        let first = ProcessCalls.perform(.spawn(name: hello, length: 5), machine: &machine).result
        let second = ProcessCalls.perform(.spawn(name: hello, length: 5), machine: &machine).result
        machine.endings[Int(second)] = ProcessStatus.killed(faultNumber: 14).word
        expectRefused(.wait(pid: 99, statusOutput: 0), .noChild, .notAChild, machine: &machine)
        expectRefused(
            .wait(pid: UInt64(first), statusOutput: UserSpace.imageBase.raw - 4096), .badAddress, .notMapped,
            machine: &machine)
        #expect(ProcessCalls.perform(.wait(pid: UInt64(second), statusOutput: statusAddress), machine: &machine).result == second)
        var word: UInt64 = 0
        word = try readWord(statusAddress, machine)
        #expect(ProcessStatus(word: word) == .killed(faultNumber: 14))
        #expect(ProcessCalls.perform(.wait(pid: 0, statusOutput: statusAddress), machine: &machine).result == first)
        word = try readWord(statusAddress, machine)
        #expect(ProcessStatus(word: word) == .exited(code: 0))
        expectRefused(.wait(pid: UInt64(first), statusOutput: 0), .noChild, .notAChild, machine: &machine)
        #expect(machine.table.checkInvariants() == nil && machine.table.entries.count == 1)
    }

    func readWord(_ address: UInt64, _ machine: HostProcessMachine) throws -> UInt64 {
        var bytes: [UInt8] = []
        try machine.memory.readUser(address: address, length: 8) { chunk in bytes += chunk }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    @Test func getpidAndYield() throws {
        var machine = try makeMachine()
        #expect(ProcessCalls.perform(.getpid, machine: &machine).result == 1)
        #expect(ProcessCalls.perform(.yield, machine: &machine).result == 0 && machine.yields == 1)
        #expect(SyscallRequest.decode(number: 7, 1, 2, 3, 4) == .process(.spawn(name: 1, length: 2, handles: 3, handleCount: 4)))
        #expect(SyscallRequest.decode(number: 8, 1, 2, 3, 0) == .process(.wait(pid: 1, statusOutput: 2)))
        #expect(SyscallRequest.decode(number: 9, 1, 2, 3, 0) == .process(.yield))
        #expect(SyscallRequest.decode(number: 10, 1, 2, 3, 0) == .process(.getpid))
        #expect(ProcessStatus(word: ProcessStatus.exited(code: 7).word) == .exited(code: 7))
        #expect(ProcessStatus(word: 1 << 32 | 13) == .killed(faultNumber: 13))
    }
}

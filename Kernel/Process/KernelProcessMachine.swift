// The kernel's side of Syscalls' ProcessMachine: the caller's memory through its ProcessMemory
// (its pages faulted in first, as the program's own touch would),
// spawn from the boot modules, wait and yield through the scheduler.
import MemoryObjects
import Syscalls

struct KernelProcessMachine: ProcessMachine {
    let process: Process

    var callerID: UInt64 { UInt64(process.id) }

    func readCaller(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason) {
        var machine = KernelMachine(process: process)
        try process.memory.copyFromUser(address: address, length: length, into: buffer, machine: &machine)
    }

    func checkCallerWritable(address: UInt64, length: UInt64) throws(RejectionReason) {
        var machine = KernelMachine(process: process)
        try process.memory.prepareUserWrite(address: address, length: length, machine: &machine)
    }

    func writeCaller(address: UInt64, from bytes: UnsafeRawBufferPointer) throws(RejectionReason) {
        var machine = KernelMachine(process: process)
        try process.memory.writeUser(address: address, from: bytes, machine: &machine)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer) -> Result<UInt64, SpawnFailure> {
        guard let module = Processes.module(named: name) else { return .failure(.noSuchProgram) }
        return Processes.start(module.file, name: module.name, parent: process.id).map { UInt64($0) }
    }

    mutating func checkSpawnHandles(_ values: [HandleValue]) throws(ObjectError) {
        try process.handles.checkTransferable(values)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer, handles: [HandleValue]) -> Result<UInt64, SpawnFailure> {
        guard let module = Processes.module(named: name) else { return .failure(.noSuchProgram) }
        return Processes.start(module.file, name: module.name, parent: process.id, handing: handles, from: process)
            .map { UInt64($0) }
    }

    mutating func waitForChild(_ pid: UInt64?) -> ChildWait { Scheduler.waitForChild(pid) }

    mutating func yield() { Scheduler.yieldCurrent() }
}

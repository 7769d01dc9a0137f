// What the process calls need from the kernel: its scheduler and its boot modules, and the
// caller's memory for their arguments and results. The kernel implements it over its
// scheduler (Kernel/Process/KernelProcessMachine.swift); host doubles over Scheduling's table.
// The caller's memory is reached only through these short copies, never held across `waitForChild`
// or `yield` (both of which let other processes run).
import MemoryObjects

/// Why the kernel could not start a program.
public enum SpawnFailure: Error, Equatable, Sendable {
    case noSuchProgram
    case badExecutable
    case outOfMemory
    case processTableFull
    case processTreeFull
}

/// How a wait ended.
public enum ChildWait: Equatable, Sendable {
    /// A child ended: its pid and its status (ProcessStatus's encoding).
    case ended(pid: UInt64, status: UInt64)
    case noSuchChild
}

public protocol ProcessMachine {
    /// The caller's pid.
    var callerID: UInt64 { get }
    /// Copies `length` bytes of the caller's memory at `address` into `buffer` (ProcessMemory's
    /// readUser rules).
    mutating func readCaller(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason)
    /// Refuses as writeCaller would, writing nothing.
    mutating func checkCallerWritable(address: UInt64, length: UInt64) throws(RejectionReason)
    /// Copies `bytes` into the caller's memory at `address` (ProcessMemory's writeUser rules).
    mutating func writeCaller(address: UInt64, from bytes: UnsafeRawBufferPointer) throws(RejectionReason)
    /// Starts the boot module named `name` as a child of the caller; its pid.
    mutating func spawn(program name: UnsafeRawBufferPointer) -> Result<UInt64, SpawnFailure>
    /// Refuses handle values the caller could not give a child, changing nothing: as
    /// HandleTable.checkTransferable (bad-handle, duplicate-handle, rights-exceeded without transfer).
    mutating func checkSpawnHandles(_ values: [HandleValue]) throws(ObjectError)
    /// As `spawn(program:)`, and the handles (checked by checkSpawnHandles) move from the caller's
    /// table to the child's slots 0, 1, ... (KernelObjects.transferAtSpawn): the child's i-th
    /// handle is HandleValue.startup(index: i). Nothing moves when the spawn fails.
    mutating func spawn(program name: UnsafeRawBufferPointer, handles: [HandleValue]) -> Result<UInt64, SpawnFailure>
    /// Waits until the caller's child `pid` (nil: any child) has ended, and reaps it.
    mutating func waitForChild(_ pid: UInt64?) -> ChildWait
    /// Lets every other runnable process run once before the caller goes on.
    mutating func yield()
}

/// A wait's status word: an exit code below 2^32, a kill as 2^32 | the fault's number
/// (Sources/KernelLog/FaultName.swift).
public enum ProcessStatus: Equatable, Sendable {
    case exited(code: UInt32)
    case killed(faultNumber: UInt16)

    public init(word: UInt64) {
        self = word >> 32 == 0 ? .exited(code: UInt32(word)) : .killed(faultNumber: UInt16(truncatingIfNeeded: word))
    }

    public var word: UInt64 {
        switch self {
        case .exited(let code): UInt64(code)
        case .killed(let fault): 1 << 32 | UInt64(fault)
        }
    }
}

extension ProcessMachine {
    /// A machine without handle tables (a host double of the process calls alone): no value
    /// names a handle of the caller.
    public mutating func checkSpawnHandles(_ values: [HandleValue]) throws(ObjectError) {
        if !values.isEmpty { throw .badHandle }
    }

    /// A machine without handle tables: only an empty list reaches here (checkSpawnHandles).
    public mutating func spawn(program name: UnsafeRawBufferPointer, handles: [HandleValue]) -> Result<UInt64, SpawnFailure> {
        precondition(handles.isEmpty, "handles given to a machine without handle tables")
        return spawn(program: name)
    }
}

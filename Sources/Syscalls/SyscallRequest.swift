// Decode: the registers of a system call -> a typed request. Decoding never fails and never
// judges: every value is passed on as the program gave it, for validation to accept or refuse.

/// A decoded system call.
public enum SyscallRequest: Equatable, Sendable {
    /// exit(code): the caller (the kernel) ends the process; nothing here runs.
    case exit(code: UInt64)
    /// A call over the process's memory, performed by `ProcessMemory.perform`.
    case memory(MemoryRequest)
    /// A call about processes (ProcessCalls.perform), not one process's memory.
    case process(ProcessRequest)
    /// A call over memory objects, handles and channels (ObjectCalls.perform).
    case object(ObjectRequest)
    /// A number no call has: -ENOSYS.
    case unknown(number: UInt64)

    /// rax = number; rdi, rsi, rdx, r10, r8, r9 = the six arguments (the calls up to getpid take at
    /// most four; remap's fifth, r8, is its fixed destination).
    public static func decode(
        number: UInt64, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64 = 0, _ a5: UInt64 = 0
    ) -> SyscallRequest {
        guard let call = SyscallNumber(rawValue: number) else { return .unknown(number: number) }
        switch call {
        case .exit: return .exit(code: a0)
        case .write: return .memory(.write(address: a0, length: a1))
        case .map: return .memory(.map(hint: a0, length: a1, protection: a2, options: a3))
        case .unmap: return .memory(.unmap(address: a0, length: a1))
        case .brk: return .memory(.brk(requested: a0))
        case .memstat: return .memory(.memstat(output: a0))
        case .protect: return .memory(.protect(address: a0, length: a1, protection: a2))
        case .spawn: return .process(.spawn(name: a0, length: a1, handles: a2, handleCount: a3))
        case .wait: return .process(.wait(pid: a0, statusOutput: a1))
        case .yield: return .process(.yield)
        case .getpid: return .process(.getpid)
        case .remap: return .memory(.remap(address: a0, oldLength: a1, newLength: a2, flags: a3, destination: a4))
        case .objectCreate: return .object(.create(size: a0, options: a1))
        case .objectMap: return .object(.map(handle: a0, offset: a1, length: a2, protection: a3, hint: a4, options: a5))
        case .objectCommit: return .object(.commit(handle: a0, offset: a1, length: a2, operation: a3))
        case .handleDuplicate: return .object(.duplicate(handle: a0, rights: a1))
        case .handleClose: return .object(.close(handle: a0))
        case .objectClone: return .object(.clone(handle: a0, offset: a1, length: a2))
        case .channelCreate: return .object(.channelCreate(output: a0))
        case .channelSend: return .object(.send(handle: a0, bytes: a1, length: a2, handles: a3, handleCount: a4))
        case .channelReceive:
            return .object(
                .receive(handle: a0, buffer: a1, capacity: a2, handlesOutput: a3, handlesCapacity: a4, flags: a5))
        case .objectFromRange: return .object(.fromRange(address: a0, length: a1))
        }
    }
}

/// The memory calls, arguments raw as they came in the registers.
public enum MemoryRequest: Equatable, Sendable {
    case write(address: UInt64, length: UInt64)
    case map(hint: UInt64, length: UInt64, protection: UInt64, options: UInt64)
    case unmap(address: UInt64, length: UInt64)
    case brk(requested: UInt64)
    case memstat(output: UInt64)
    case protect(address: UInt64, length: UInt64, protection: UInt64)
    /// destination: r8, read only when flags has the fixed bit (else ignored, whatever it holds).
    case remap(address: UInt64, oldLength: UInt64, newLength: UInt64, flags: UInt64, destination: UInt64 = 0)

    public var number: SyscallNumber {
        switch self {
        case .write: .write
        case .map: .map
        case .unmap: .unmap
        case .brk: .brk
        case .memstat: .memstat
        case .protect: .protect
        case .remap: .remap
        }
    }
}

/// The process calls, arguments raw as they came in the registers.
public enum ProcessRequest: Equatable, Sendable {
    /// handles: the address of `handleCount` UInt64 handle values that move to the child (0, 0: none).
    case spawn(name: UInt64, length: UInt64, handles: UInt64 = 0, handleCount: UInt64 = 0)
    case wait(pid: UInt64, statusOutput: UInt64)
    case yield
    case getpid

    public var number: SyscallNumber {
        switch self {
        case .spawn: .spawn
        case .wait: .wait
        case .yield: .yield
        case .getpid: .getpid
        }
    }
}

/// The object calls (numbers 12-21), arguments raw as they came in the registers.
public enum ObjectRequest: Equatable, Sendable {
    case create(size: UInt64, options: UInt64)
    case map(handle: UInt64, offset: UInt64, length: UInt64, protection: UInt64, hint: UInt64, options: UInt64 = 0)
    case commit(handle: UInt64, offset: UInt64, length: UInt64, operation: UInt64)
    case duplicate(handle: UInt64, rights: UInt64)
    case close(handle: UInt64)
    case clone(handle: UInt64, offset: UInt64, length: UInt64)
    case channelCreate(output: UInt64)
    case send(handle: UInt64, bytes: UInt64, length: UInt64, handles: UInt64, handleCount: UInt64)
    case receive(handle: UInt64, buffer: UInt64, capacity: UInt64, handlesOutput: UInt64, handlesCapacity: UInt64, flags: UInt64)
    case fromRange(address: UInt64, length: UInt64)

    public var number: SyscallNumber {
        switch self {
        case .create: .objectCreate
        case .map: .objectMap
        case .commit: .objectCommit
        case .duplicate: .handleDuplicate
        case .close: .handleClose
        case .clone: .objectClone
        case .channelCreate: .channelCreate
        case .send: .channelSend
        case .receive: .channelReceive
        case .fromRange: .objectFromRange
        }
    }
}

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
    /// A number no call has: -ENOSYS.
    case unknown(number: UInt64)

    /// rax = number; rdi, rsi, rdx, r10 = the first four arguments.
    public static func decode(number: UInt64, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64) -> SyscallRequest {
        guard let call = SyscallNumber(rawValue: number) else { return .unknown(number: number) }
        switch call {
        case .exit: return .exit(code: a0)
        case .write: return .memory(.write(address: a0, length: a1))
        case .map: return .memory(.map(hint: a0, length: a1, protection: a2, options: a3))
        case .unmap: return .memory(.unmap(address: a0, length: a1))
        case .brk: return .memory(.brk(requested: a0))
        case .memstat: return .memory(.memstat(output: a0))
        case .protect: return .memory(.protect(address: a0, length: a1, protection: a2))
        case .spawn: return .process(.spawn(name: a0, length: a1))
        case .wait: return .process(.wait(pid: a0, statusOutput: a1))
        case .yield: return .process(.yield)
        case .getpid: return .process(.getpid)
        case .remap: return .memory(.remap(address: a0, oldLength: a1, newLength: a2, flags: a3))
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
    case remap(address: UInt64, oldLength: UInt64, newLength: UInt64, flags: UInt64)

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
    case spawn(name: UInt64, length: UInt64)
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

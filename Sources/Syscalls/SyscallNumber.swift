// System call numbers of the SwiftMM ABI: the value a program puts in rax before `syscall`.

public enum SyscallNumber: UInt64, CaseIterable, Sendable {
    /// exit(code) -> never returns.
    case exit = 0
    /// write(buffer, length) -> bytes written.
    case write = 1
    /// map(hint, length, protection, options) -> address.
    case map = 2
    /// unmap(address, length) -> 0.
    case unmap = 3
    /// brk(newBreak) -> the break after the call.
    case brk = 4
    /// memstat(out) -> 0, fills 16 x UInt64.
    case memstat = 5
    /// protect(address, length, protection) -> 0.
    case protect = 6
    /// spawn(name, length) -> the child's pid (a program of the boot modules, by name).
    case spawn = 7
    /// wait(pid or 0 for any child, status out or 0) -> the reaped child's pid.
    case wait = 8
    /// yield() -> 0, after the other runnable processes had their turn.
    case yield = 9
    /// getpid() -> the caller's pid.
    case getpid = 10
    /// remap(address, oldLength, newLength, flags) -> address (mremap; ProcessMemory+Remap.swift).
    case remap = 11

    /// The call's name, for log lines.
    public var name: StaticString {
        switch self {
        case .exit: "exit"
        case .write: "write"
        case .map: "map"
        case .unmap: "unmap"
        case .brk: "brk"
        case .memstat: "memstat"
        case .protect: "protect"
        case .spawn: "spawn"
        case .wait: "wait"
        case .yield: "yield"
        case .getpid: "getpid"
        case .remap: "remap"
        }
    }
}

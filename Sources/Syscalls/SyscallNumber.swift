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
        }
    }
}

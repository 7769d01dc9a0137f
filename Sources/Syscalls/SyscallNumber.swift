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
    /// spawn(name, length, handles, handleCount) -> the child's pid (a program of the boot modules,
    /// by name); the handles move to the child (its 0x10001, 0x10002, ...).
    case spawn = 7
    /// wait(pid or 0 for any child, status out or 0) -> the reaped child's pid.
    case wait = 8
    /// yield() -> 0, after the other runnable processes had their turn.
    case yield = 9
    /// getpid() -> the caller's pid.
    case getpid = 10
    /// remap(address, oldLength, newLength, flags) -> address (mremap; ProcessMemory+Remap.swift).
    case remap = 11
    // Memory objects, handles and channels (ObjectCalls.swift; docs/syscalls.md).
    /// object_create(size, options = 0) -> a handle with every right.
    case objectCreate = 12
    /// object_map(handle, offset, length, protection, hint) -> address.
    case objectMap = 13
    /// object_commit(handle, offset, length, op: 0 commit, 1 decommit) -> 0.
    case objectCommit = 14
    /// handle_duplicate(handle, rights) -> a new handle with those rights.
    case handleDuplicate = 15
    /// handle_close(handle) -> 0.
    case handleClose = 16
    /// object_clone(handle, offset, length) -> a handle to a copy-on-write clone of the range.
    case objectClone = 17
    /// channel_create(out: 2 x UInt64) -> 0, the two endpoints' handles written to out.
    case channelCreate = 18
    /// channel_send(handle, bytes, length, handles, handleCount) -> 0.
    case channelSend = 19
    /// channel_receive(handle, buffer, capacity, handlesOut, handlesCapacity, flags) -> bytes | handles << 32.
    case channelReceive = 20
    /// object_from_range(address, length) -> a handle to an object holding those pages' frames.
    case objectFromRange = 21

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
        case .objectCreate: "object_create"
        case .objectMap: "object_map"
        case .objectCommit: "object_commit"
        case .handleDuplicate: "handle_duplicate"
        case .handleClose: "handle_close"
        case .objectClone: "object_clone"
        case .channelCreate: "channel_create"
        case .channelSend: "channel_send"
        case .channelReceive: "channel_receive"
        case .objectFromRange: "object_from_range"
        }
    }
}

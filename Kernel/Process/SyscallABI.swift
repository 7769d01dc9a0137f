// The syscall ABI (docs/syscalls.md is the reference): numbers, error codes, protections.

enum SyscallNumber: UInt64 {
    case exit = 0, write, map, unmap, brk, memstat, protect

    var name: StaticString {
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

/// Error codes, returned negated in rax (Linux's numbers).
enum Errno: Int64, Error {
    case EPERM = 1, ENOENT = 2, ENOMEM = 12, EFAULT = 14, EEXIST = 17, EINVAL = 22, ENOSYS = 38

    var name: StaticString {
        switch self {
        case .EPERM: "EPERM"
        case .ENOENT: "ENOENT"
        case .ENOMEM: "ENOMEM"
        case .EFAULT: "EFAULT"
        case .EEXIST: "EEXIST"
        case .EINVAL: "EINVAL"
        case .ENOSYS: "ENOSYS"
        }
    }
}

/// The user address-space layout the kernel enforces (inside PageTables' UserSpace).
enum UserLayout {
    /// One past the top of the user stack.
    static let stackTop: UInt64 = 0x0000_7F00_0000_0000
    static let stackPages: UInt64 = 16
    /// `map` with no hint places mappings from here upwards (addresses are not reused).
    static let mapAreaStart: UInt64 = 0x0000_1000_0000_0000
    static let mapAreaEnd: UInt64 = 0x0000_7000_0000_0000
    /// The break may grow at most this far past its start.
    static let breakLimitBytes: UInt64 = 1 << 30
    /// The longest single write.
    static let maximumWrite: UInt64 = 4096
}

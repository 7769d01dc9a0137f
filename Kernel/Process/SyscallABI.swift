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
    static let stackBottom: UInt64 = stackTop - stackPages * 4096
    /// The stack guard gap (Linux's stack_guard_gap): 1 MiB below the stack that nothing may map,
    /// neither `map` (hinted or not) nor an ELF segment, so a frame larger than a page that jumps
    /// the stack's end still lands on an unmapped page and faults (`cause=stack-guard-gap`).
    static let stackGuardGapBytes: UInt64 = 1 << 20
    static let stackGuardGapStart: UInt64 = stackBottom - stackGuardGapBytes
    /// `map` with no hint places mappings from here upwards: the first free range at or after the
    /// last one placed (next fit), wrapping to the start of the area, with one unmapped page on
    /// each side; a hinted mapping anywhere cannot block it.
    static let mapAreaStart: UInt64 = 0x0000_1000_0000_0000
    static let mapAreaEnd: UInt64 = 0x0000_7000_0000_0000
    /// Unmapped pages kept before and after each unhinted mapping.
    static let mapGapPages: UInt64 = 1
    /// The break may grow at most this far past its start.
    static let breakLimitBytes: UInt64 = 1 << 30
    /// The longest single write.
    static let maximumWrite: UInt64 = 4096
}

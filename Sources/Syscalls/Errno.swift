// Errno: the negative results of SwiftMM system calls, with Swift names (the C name in `name`)
// in the style of swift-system. A struct rather than an enum: the kernel may one day answer a
// number a program does not know, and that value must survive decoding unchanged.

/// A positive errno value; a system call returns its negation.
public struct Errno: RawRepresentable, Hashable, Error, Sendable {
    public var rawValue: Int32

    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    /// EPERM 1: reserved (no call returns it yet).
    public static let notPermitted = Errno(rawValue: 1)
    /// ENOENT 2: spawn: no boot module has that program name.
    public static let noSuchEntry = Errno(rawValue: 2)
    /// ENOEXEC 8: spawn: the boot module named is not a program the loader accepts.
    public static let notExecutable = Errno(rawValue: 8)
    /// EBADF 9: a handle never given, closed, of another process, or of the wrong kind.
    public static let badHandle = Errno(rawValue: 9)
    /// ECHILD 10: wait: the caller has no such child (or no child at all).
    public static let noChild = Errno(rawValue: 10)
    /// EAGAIN 11: spawn: the process table, or the caller's share of it, is full; try after a wait.
    public static let tryAgain = Errno(rawValue: 11)
    /// ENOMEM 12: out of frames, or no free range of that size.
    public static let outOfMemory = Errno(rawValue: 12)
    /// EACCES 13: the handle lacks a right the call needs (or a mapping asks for more).
    public static let permissionDenied = Errno(rawValue: 13)
    /// EFAULT 14: a buffer is not wholly inside mapped user memory with the needed access.
    public static let badAddress = Errno(rawValue: 14)
    /// EEXIST 17: a map hint names a range that is not free (MAP_FIXED_NOREPLACE semantics).
    public static let exists = Errno(rawValue: 17)
    /// EINVAL 22: a malformed argument (zero or wrapping length, unaligned address, W+X, ...).
    public static let invalidArgument = Errno(rawValue: 22)
    /// EMFILE 24: the caller's handle table has no free slot for the handles the call would give.
    public static let tooManyHandles = Errno(rawValue: 24)
    /// EPIPE 32: the channel's other endpoint is closed (and, for receive, nothing is left queued).
    public static let brokenPipe = Errno(rawValue: 32)
    /// ENOSYS 38: no system call has this number.
    public static let notImplemented = Errno(rawValue: 38)

    /// The C name, for log and console lines: `EFAULT`; `E?` for a number this ABI does not define.
    public var name: StaticString {
        switch rawValue {
        case 1: "EPERM"
        case 2: "ENOENT"
        case 8: "ENOEXEC"
        case 9: "EBADF"
        case 10: "ECHILD"
        case 11: "EAGAIN"
        case 12: "ENOMEM"
        case 13: "EACCES"
        case 14: "EFAULT"
        case 17: "EEXIST"
        case 22: "EINVAL"
        case 24: "EMFILE"
        case 32: "EPIPE"
        case 38: "ENOSYS"
        default: "E?"
        }
    }
}

/// The raw result in rax, Linux-style: -4095 ... -1 are -errno, everything else is a value.
/// (Addresses handed to user space are below 2^47, so no valid result is negative.)
public enum SyscallResult {
    public static let largestErrno: Int64 = 4095

    /// The errno a raw result encodes, or nil when it is a value.
    @inlinable public static func errno(of raw: Int64) -> Errno? {
        guard raw < 0, raw >= -largestErrno else { return nil }
        return Errno(rawValue: Int32(-raw))
    }

    /// The value of a raw result, or its errno thrown.
    @inlinable public static func value(of raw: Int64) throws(Errno) -> UInt64 {
        if let error = errno(of: raw) { throw error }
        return UInt64(bitPattern: raw)
    }

    /// The raw result for a value or an errno (the kernel's side).
    @inlinable public static func encode(_ outcome: Result<UInt64, Errno>) -> Int64 {
        switch outcome {
        case .success(let value): Int64(bitPattern: value)
        case .failure(let errno): -Int64(errno.rawValue)
        }
    }
}

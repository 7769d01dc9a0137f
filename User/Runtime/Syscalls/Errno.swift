// Errno: the negative results of SwiftMM system calls, with Swift names (the C name in the docs)
// in the style of swift-system. A struct rather than an enum: the kernel may one day answer a
// number this program does not know, and that value must survive decoding unchanged.

/// A positive errno value; a system call returned its negation.
struct Errno: RawRepresentable, Equatable, Error {
    var rawValue: Int32

    init(rawValue: Int32) { self.rawValue = rawValue }

    /// EPERM 1: the operation is not allowed (e.g. protect() of memory `map` did not create).
    static let notPermitted = Errno(rawValue: 1)
    /// ENOENT 2: no such object.
    static let noSuchEntry = Errno(rawValue: 2)
    /// ENOMEM 12: the kernel is out of frames, or the address space has no room.
    static let outOfMemory = Errno(rawValue: 12)
    /// EFAULT 14: a buffer is not wholly inside mapped user memory.
    static let badAddress = Errno(rawValue: 14)
    /// EEXIST 17: a map hint names a range that is not free (MAP_FIXED_NOREPLACE semantics).
    static let exists = Errno(rawValue: 17)
    /// EINVAL 22: a malformed argument (zero or wrapping length, unaligned address, W+X, ...).
    static let invalidArgument = Errno(rawValue: 22)
    /// ENOSYS 38: no system call has this number.
    static let notImplemented = Errno(rawValue: 38)

    /// The C name, for console lines: `EFAULT`; `E?` for a number this runtime does not know.
    var name: StaticString {
        switch rawValue {
        case 1: "EPERM"
        case 2: "ENOENT"
        case 12: "ENOMEM"
        case 14: "EFAULT"
        case 17: "EEXIST"
        case 22: "EINVAL"
        case 38: "ENOSYS"
        default: "E?"
        }
    }
}

/// Decoding of a raw result, Linux-style: -4095 ... -1 are -errno, everything else is a value.
/// (Addresses handed to user space are below 2^47, so no valid result is negative.)
enum SyscallResult {
    static let largestErrno: Int64 = 4095

    /// The errno a raw result encodes, or nil when it is a value.
    static func errno(of raw: Int64) -> Errno? {
        guard raw < 0, raw >= -largestErrno else { return nil }
        return Errno(rawValue: Int32(-raw))
    }

    /// The value of a raw result, or its errno thrown.
    static func value(of raw: Int64) throws(Errno) -> UInt64 {
        if let error = errno(of: raw) { throw error }
        return UInt64(bitPattern: raw)
    }
}

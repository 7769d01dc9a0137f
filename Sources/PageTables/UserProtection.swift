// Decoding the `protection` argument of the map and protect syscalls into leaf flags: a pure
// function, so the host tests can throw every hostile value at it.
//
// Bits: 1 read, 2 write, 4 execute (docs/syscalls.md). Read is required (x86 paging cannot map a
// page that is writable or executable but unreadable), unknown bits are refused, and write with
// execute is refused (W^X). The result is always present + user; no-execute unless execute.

public struct UserProtection: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let read = UserProtection(rawValue: 1)
    public static let write = UserProtection(rawValue: 2)
    public static let execute = UserProtection(rawValue: 4)
    public static let all: UserProtection = [.read, .write, .execute]

    /// The leaf flags for a user mapping with this protection, or nil when it is refused.
    public static func pageFlags(forSyscallArgument bits: UInt64) -> PageFlags? {
        try? decode(bits)
    }

    /// The leaf flags for a user mapping with protection `bits`, or why it is refused (checked in
    /// this order: unknown bits, read missing, write with execute).
    public static func decode(_ bits: UInt64) throws(UserProtectionError) -> PageFlags {
        let protection = UserProtection(rawValue: bits)
        guard all.isSuperset(of: protection) else { throw .unknownBits }
        guard protection.contains(.read) else { throw .notReadable }
        if protection.contains(.write) && protection.contains(.execute) { throw .writeAndExecute }
        var flags: PageFlags = [.present, .user]
        if protection.contains(.write) { flags.insert(.writable) }
        if !protection.contains(.execute) { flags.insert(.noExecute) }
        return flags
    }
}

/// Why a protection argument was refused.
public enum UserProtectionError: Error, Hashable, Sendable {
    /// A bit other than read, write, execute is set.
    case unknownBits
    /// Write or execute without read (x86 paging cannot map a present page unreadable).
    case notReadable
    /// Write and execute together (W^X).
    case writeAndExecute

    /// The name in log lines (a refused syscall's `reason=`).
    public var name: StaticString {
        switch self {
        case .unknownBits: "unknown-protection-bits"
        case .notReadable: "protection-not-readable"
        case .writeAndExecute: "write-and-execute"
        }
    }
}

// Page protections passed to map and protect: bit 0 read, bit 1 write, bit 2 execute.
// The kernel rejects write + execute together (W^X) with EINVAL, and unknown bits likewise.

/// Access rights of a mapping.
struct Protection: OptionSet, Equatable {
    var rawValue: UInt64

    init(rawValue: UInt64) { self.rawValue = rawValue }

    static let read = Protection(rawValue: 1)
    static let write = Protection(rawValue: 2)
    static let execute = Protection(rawValue: 4)

    static let readWrite: Protection = [.read, .write]
    static let readExecute: Protection = [.read, .execute]
    /// No access at all: a guard page.
    static let none: Protection = []
}

// Page protections passed to map and protect: bit 0 read, bit 1 write, bit 2 execute.
// One type for both sides: PageTables' UserProtection, which also decodes the bits into leaf
// flags (`UserProtection.decode`: unknown bits, read missing and W+X are refused, each by name).
import PageTables

/// Access rights of a mapping, as the syscalls take them.
public typealias Protection = UserProtection

extension UserProtection {
    public static let readWrite: UserProtection = [.read, .write]
    public static let readExecute: UserProtection = [.read, .execute]
    /// No access at all (always refused by map and protect: read is required).
    public static let none: UserProtection = []
}

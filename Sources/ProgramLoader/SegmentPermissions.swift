// A segment's access rights (p_flags) and the page flags that grant exactly them to ring 3.

import PageTables

/// p_flags of a program header: PF_X = 1, PF_W = 2, PF_R = 4 (the ELF bit values, so `rawValue`
/// is the field as stored).
public struct SegmentPermissions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let executable = SegmentPermissions(rawValue: 1 << 0)
    public static let writable = SegmentPermissions(rawValue: 1 << 1)
    public static let readable = SegmentPermissions(rawValue: 1 << 2)

    /// Every bit a loadable segment may have.
    public static let defined: SegmentPermissions = [.readable, .writable, .executable]

    /// The leaf flags that map a page with these rights in a user address space:
    ///   present | user | (writable iff W) | (noExecute iff not X).
    /// (x86 paging has no "not readable": every present user page is readable, which is why a
    /// segment without R is rejected before it gets here.)
    public var pageFlags: PageFlags {
        var flags: PageFlags = [.present, .user]
        if contains(.writable) { flags.insert(.writable) }
        if !contains(.executable) { flags.insert(.noExecute) }
        return flags
    }
}

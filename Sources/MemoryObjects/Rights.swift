// What a handle allows (ABI bits). A new object's or endpoint's handle has all five; a duplicate
// may only drop rights, never add them.

public struct Rights: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Map readable; receive on a channel endpoint; clone needs it too.
    public static let read = Rights(rawValue: 1)
    /// Map writable; commit/decommit; send on a channel endpoint.
    public static let write = Rights(rawValue: 2)
    /// Map at all (together with read).
    public static let map = Rights(rawValue: 4)
    /// Make another handle to the same thing (with these rights or fewer); clone needs it.
    public static let duplicate = Rights(rawValue: 8)
    /// Give the handle away: over a channel or to a spawned child.
    public static let transfer = Rights(rawValue: 16)

    public static let all: Rights = [.read, .write, .map, .duplicate, .transfer]

    /// A raw value from user space as rights, or nil when it has bits that name no right.
    @inlinable public init?(validating raw: UInt64) {
        guard raw & ~UInt64(Rights.all.rawValue) == 0 else { return nil }
        self.init(rawValue: UInt32(raw))
    }
}

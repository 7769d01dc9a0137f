// A message in a channel: up to 256 bytes and up to 4 handles. While queued, the message owns its
// handles (each keeps its one reference on what it names); a receive moves them into the
// receiver's table, and a channel that dies gives them back to be released.

public struct ChannelMessage: Equatable, Sendable {
    public var bytes: [UInt8]
    public var handles: [Handle]

    public init(bytes: [UInt8], handles: [Handle]) {
        self.bytes = bytes
        self.handles = handles
    }
}

/// What a receive delivered: the bytes, and the values of the handles now in the receiver's table
/// (in the order they were sent).
public struct ReceivedMessage: Equatable, Sendable {
    public var bytes: [UInt8]
    public var handles: [HandleValue]
}

// What a handle names, and the handle itself (a name plus rights). A memory object or one endpoint
// (0 or 1) of a channel.

public enum KernelObject: Hashable, Sendable {
    case memory(ObjectID)
    case channel(ChannelID, endpoint: UInt8)

    /// The channel this names, if it names a channel endpoint.
    @inlinable public var channel: ChannelID? {
        if case .channel(let id, _) = self { return id }
        return nil
    }
}

/// A handle: one reference to a kernel object, with the rights it grants. Every handle, wherever
/// it is (a process's table, a queued message, a spawn in progress), holds exactly one reference
/// on its object (memory: MemoryObjects.retain; channel: one endpoint reference).
public struct Handle: Hashable, Sendable {
    public var object: KernelObject
    public var rights: Rights

    @inlinable public init(object: KernelObject, rights: Rights) {
        self.object = object
        self.rights = rights
    }
}

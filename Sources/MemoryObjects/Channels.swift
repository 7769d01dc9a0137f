// The kernel's channels (one table per kernel): creation and endpoint references. Send and
// receive (which move handles between tables and queues) are in Channels+Transfer.swift.
//
// Closing: when an endpoint's last handle goes, its inbox is drained and the handles those
// messages carried are returned to the caller to release (KernelObjects does: a returned handle
// may itself be the last reference to an object or to another channel's endpoint). The peer then
// gets `peerClosed` from send at once, and from receive once its own inbox is empty. When both
// endpoints are closed the channel's slot is freed.

/// What releasing an endpoint reference did.
public struct EndpointRelease: Equatable, Sendable {
    /// That was the endpoint's last handle: it is closed now.
    public var closed = false
    /// Both endpoints are closed: the channel is gone.
    public var channelDestroyed = false
    /// Handles the closed endpoint's queued messages carried; the caller owns their references.
    public var orphanedHandles: [Handle] = []
}

public struct Channels {
    /// Most channels alive at once.
    public static let capacity = 256
    /// Messages queued per direction.
    public static let queueCapacity = 16
    /// Bytes per message.
    public static let maximumMessageBytes = 256
    /// Handles per message.
    public static let maximumMessageHandles = 4

    var slots = SlotAllocator(capacity: Channels.capacity)
    /// records[s]: the channel in slot s (nil when the slot is free).
    var records = [Channel?](repeating: nil, count: Channels.capacity)
    public internal(set) var messagesSent: UInt64 = 0
    public internal(set) var channelsDestroyed: UInt64 = 0

    public init() {}

    /// Channels alive now.
    public var liveCount: Int { slots.count }

    /// Every live channel's id, in slot order.
    public var liveChannels: [ChannelID] {
        slots.occupiedSlots.map { ChannelID(slot: $0, generation: slots.generations[$0]) }
    }

    /// A new channel with both endpoints open, one reference each (the caller makes the two handles).
    public mutating func create() throws(ObjectError) -> ChannelID {
        guard let (slot, generation) = slots.allocate() else { throw .channelTableFull }
        records[slot] = Channel()
        return ChannelID(slot: slot, generation: generation)
    }

    /// True when the endpoint has handles; nil for no such channel/endpoint.
    public func isOpen(_ id: ChannelID, endpoint: UInt8) -> Bool? {
        guard let slot = try? slot(of: id, endpoint: endpoint) else { return nil }
        return records[slot]!.isOpen(Int(endpoint))
    }

    /// Messages waiting at the endpoint; nil for no such channel/endpoint.
    public func queuedCount(_ id: ChannelID, endpoint: UInt8) -> Int? {
        guard let slot = try? slot(of: id, endpoint: endpoint) else { return nil }
        return records[slot]!.inboxes[Int(endpoint)].count
    }

    /// Handles naming the endpoint; nil for no such channel/endpoint.
    public func references(of id: ChannelID, endpoint: UInt8) -> UInt32? {
        guard let slot = try? slot(of: id, endpoint: endpoint) else { return nil }
        return records[slot]!.endpointReferences[Int(endpoint)]
    }

    /// One more handle names the endpoint (a duplicate). An endpoint already closed cannot be
    /// named again (no handle to it exists), so that is `noSuchChannel` too.
    public mutating func retainEndpoint(_ id: ChannelID, endpoint: UInt8) throws(ObjectError) {
        let slot = try slot(of: id, endpoint: endpoint)
        let e = Int(endpoint)
        guard records[slot]!.isOpen(e) else { throw .noSuchChannel }
        guard records[slot]!.endpointReferences[e] < UInt32.max else { throw .referenceOverflow }
        records[slot]!.endpointReferences[e] += 1
    }

    /// One handle fewer names the endpoint; see EndpointRelease.
    public mutating func releaseEndpoint(_ id: ChannelID, endpoint: UInt8) throws(ObjectError) -> EndpointRelease {
        let slot = try slot(of: id, endpoint: endpoint)
        let e = Int(endpoint)
        guard records[slot]!.isOpen(e) else { throw .noSuchChannel }
        records[slot]!.endpointReferences[e] -= 1
        var outcome = EndpointRelease()
        guard !records[slot]!.isOpen(e) else { return outcome }
        outcome.closed = true
        for message in records[slot]!.inboxes[e] { outcome.orphanedHandles += message.handles }
        records[slot]!.inboxes[e] = []
        if !records[slot]!.isOpen(1 - e) {
            records[slot] = nil
            _ = slots.free(slot: slot, generation: id.generation!)
            channelsDestroyed += 1
            outcome.channelDestroyed = true
        }
        return outcome
    }

    /// The slot of a live channel with a valid endpoint number (0 or 1), or `noSuchChannel`.
    func slot(of id: ChannelID, endpoint: UInt8) throws(ObjectError) -> Int {
        guard endpoint < 2, let generation = id.generation, slots.contains(slot: id.slot, generation: generation) else {
            throw .noSuchChannel
        }
        return id.slot
    }
}

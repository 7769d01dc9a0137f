// Send and receive: a message's handles leave the sender's table into the queue, and leave the
// queue into the receiver's table. Each checks everything first, in the order listed, and changes
// nothing when it refuses. Blocking is the kernel's: `wouldBlock` tells it to wait.

/// Where a sent message went: the kernel wakes a receiver blocked on this endpoint.
public struct ChannelEndpoint: Hashable, Sendable {
    public let channel: ChannelID
    public let endpoint: UInt8

    @inlinable public init(channel: ChannelID, endpoint: UInt8) {
        self.channel = channel
        self.endpoint = endpoint
    }
}

extension Channels {
    /// Sends `bytes` and the handles `handleValues` (taken out of `table`) through the endpoint
    /// `endpointValue` names. Checks, in order: the endpoint handle (badHandle, wrongKind, write
    /// right: rightsExceeded), message size (messageTooLarge), handle count (tooManyHandles),
    /// each sent handle (badHandle, duplicateHandle, transfer right: rightsExceeded), no endpoint
    /// of this channel (handleIsChannel), no loop of queued channels (channelLoop), the peer open
    /// (peerClosed), room in its queue (channelFull). Returns the receiving endpoint.
    public mutating func send(
        through endpointValue: HandleValue, bytes: [UInt8], handles handleValues: [HandleValue], table: inout HandleTable
    ) throws(ObjectError) -> ChannelEndpoint {
        let (id, endpoint) = try endpointHandle(endpointValue, needing: .write, in: table)
        guard bytes.count <= Self.maximumMessageBytes else { throw .messageTooLarge }
        guard handleValues.count <= Self.maximumMessageHandles else { throw .tooManyHandles }
        try table.checkTransferable(handleValues)
        for value in handleValues {
            guard let sent = try table.lookup(value).object.channel else { continue }
            if sent == id { throw .handleIsChannel }
            if reaches(from: sent, target: id) { throw .channelLoop }
        }
        let slot = try slot(of: id, endpoint: endpoint)
        let receiver = 1 - Int(endpoint)
        guard records[slot]!.isOpen(receiver) else { throw .peerClosed }
        guard records[slot]!.inboxes[receiver].count < Self.queueCapacity else { throw .channelFull }
        let handles = try table.removeForTransfer(handleValues)
        records[slot]!.inboxes[receiver].append(ChannelMessage(bytes: bytes, handles: handles))
        messagesSent += 1
        return ChannelEndpoint(channel: id, endpoint: UInt8(receiver))
    }

    /// Receives the oldest message waiting at the endpoint `endpointValue` names, its handles put
    /// in `table`. Checks, in order: the endpoint handle (badHandle, wrongKind, read right:
    /// rightsExceeded), a message queued (else peerClosed when the peer is closed, wouldBlock when
    /// not), its bytes and handles fit the capacities (bufferTooSmall), the table has room for its
    /// handles (handleTableFull). On any refusal the message stays queued.
    public mutating func receive(
        through endpointValue: HandleValue, byteCapacity: Int, handleCapacity: Int, table: inout HandleTable
    ) throws(ObjectError) -> ReceivedMessage {
        guard let message = try peek(through: endpointValue, table: table) else {
            let (id, endpoint) = try endpointHandle(endpointValue, needing: .read, in: table)
            let slot = try slot(of: id, endpoint: endpoint)
            throw records[slot]!.isOpen(1 - Int(endpoint)) ? .wouldBlock : .peerClosed
        }
        guard message.bytes.count <= byteCapacity, message.handles.count <= handleCapacity else { throw .bufferTooSmall }
        guard message.handles.count <= table.freeCount else { throw .handleTableFull }
        let (id, endpoint) = try endpointHandle(endpointValue, needing: .read, in: table)
        let slot = try slot(of: id, endpoint: endpoint)
        records[slot]!.inboxes[Int(endpoint)].removeFirst()
        var values: [HandleValue] = []
        for handle in message.handles { values.append(try table.insert(handle)) }  // room checked above
        return ReceivedMessage(bytes: message.bytes, handles: values)
    }

    /// The oldest message waiting at the endpoint (nothing moves), nil when none is queued.
    /// Checks the endpoint handle as receive does.
    public func peek(through endpointValue: HandleValue, table: HandleTable) throws(ObjectError) -> ChannelMessage? {
        let (id, endpoint) = try endpointHandle(endpointValue, needing: .read, in: table)
        let slot = try slot(of: id, endpoint: endpoint)
        return records[slot]!.inboxes[Int(endpoint)].first
    }

    /// The channel endpoint a handle value names, with `right` (badHandle, wrongKind, rightsExceeded).
    public func endpointHandle(
        _ value: HandleValue, needing right: Rights, in table: HandleTable
    ) throws(ObjectError)
        -> (ChannelID, UInt8)
    {
        let handle = try table.lookup(value)
        guard case .channel(let id, let endpoint) = handle.object else { throw .wrongKind }
        guard handle.rights.contains(right) else { throw .rightsExceeded }
        _ = try slot(of: id, endpoint: endpoint)
        return (id, endpoint)
    }

    /// True when `target` is `start` or is reachable from it through endpoint handles queued in
    /// the channels' inboxes (a depth-first walk; at most `capacity` channels, each visited once).
    func reaches(from start: ChannelID, target: ChannelID) -> Bool {
        var visited = Set<ChannelID>()
        var pending = [start]
        while let id = pending.popLast() {
            if id == target { return true }
            guard visited.insert(id).inserted, let generation = id.generation,
                slots.contains(slot: id.slot, generation: generation), let channel = records[id.slot]
            else { continue }
            pending += channel.queuedChannels
        }
        return false
    }
}

// The channels' checker.
//   every inbox holds <= queueCapacity messages of <= maximumMessageBytes bytes and
//     <= maximumMessageHandles handles
//   a closed endpoint's inbox is empty; a live channel has an open endpoint
//   no channel reaches itself through queued endpoint handles (send refuses loops)
//   (checkReferences) each endpoint's references == handles naming it in the given tables and
//     in every queued message

/// The first broken rule found in the channels.
public enum ChannelInvariantViolation: Error, Equatable, Sendable {
    case tableCountWrong
    case queueOverCapacity(ChannelID, endpoint: UInt8)
    case messageOverLimits(ChannelID, endpoint: UInt8)
    case closedEndpointHasQueue(ChannelID, endpoint: UInt8)
    case bothEndpointsClosed(ChannelID)
    case loop(ChannelID)
    case endpointReferencesWrong(ChannelID, endpoint: UInt8, recorded: UInt32, holders: UInt32)
    case danglingEndpointReference(ChannelID, endpoint: UInt8)
}

extension Channels {
    public func checkInvariants() -> ChannelInvariantViolation? {
        guard slots.isConsistent(isPresent: { records[$0] != nil }) else { return .tableCountWrong }
        for id in liveChannels {
            let channel = records[id.slot]!
            guard channel.isOpen(0) || channel.isOpen(1) else { return .bothEndpointsClosed(id) }
            for e in 0 ..< 2 {
                if let violation = check(channel.inboxes[e], id, UInt8(e), open: channel.isOpen(e)) { return violation }
            }
            for next in channel.queuedChannels where reaches(from: next, target: id) { return .loop(id) }
        }
        return nil
    }

    /// Handles queued in every message of every channel (each holds one reference).
    public var handlesInTransit: [Handle] {
        var handles: [Handle] = []
        for slot in slots.occupiedSlots {
            for inbox in records[slot]!.inboxes {
                for message in inbox { handles += message.handles }
            }
        }
        return handles
    }

    /// Each endpoint's references equal `holders` (handles naming it in tables and in transit,
    /// counted by the caller), and no holder names a dead channel or closed endpoint.
    public func checkReferences(holders: [ChannelEndpoint: UInt32]) -> ChannelInvariantViolation? {
        for (place, count) in holders where count > 0 && isOpen(place.channel, endpoint: place.endpoint) != true {
            return .danglingEndpointReference(place.channel, endpoint: place.endpoint)
        }
        for id in liveChannels {
            for e in 0 ..< 2 {
                let recorded = records[id.slot]!.endpointReferences[e]
                let counted = holders[ChannelEndpoint(channel: id, endpoint: UInt8(e))] ?? 0
                guard recorded == counted else {
                    return .endpointReferencesWrong(id, endpoint: UInt8(e), recorded: recorded, holders: counted)
                }
            }
        }
        return nil
    }

    private func check(_ inbox: [ChannelMessage], _ id: ChannelID, _ endpoint: UInt8, open: Bool) -> ChannelInvariantViolation? {
        guard inbox.count <= Self.queueCapacity else { return .queueOverCapacity(id, endpoint: endpoint) }
        guard open || inbox.isEmpty else { return .closedEndpointHasQueue(id, endpoint: endpoint) }
        for message in inbox
        where message.bytes.count > Self.maximumMessageBytes || message.handles.count > Self.maximumMessageHandles {
            return .messageOverLimits(id, endpoint: endpoint)
        }
        return nil
    }
}

// One channel: two endpoints, each with the queue of messages waiting for it (its inbox) and the
// number of handles naming it. An endpoint is open while any handle names it (in a table or in
// transit); it closes when the last goes.
//
// Invariants: each inbox holds <= Channels.queueCapacity messages; a closed endpoint's inbox is
// empty (drained when it closed: no one can ever receive them, so their handles are released at
// once rather than when the whole channel goes); at least one endpoint is open while the channel
// is in the table.

struct Channel {
    /// inboxes[e]: messages sent by endpoint 1 - e, waiting to be received at endpoint e, oldest first.
    var inboxes: [[ChannelMessage]] = [[], []]
    /// endpointReferences[e]: handles naming endpoint e.
    var endpointReferences: [UInt32] = [1, 1]

    func isOpen(_ endpoint: Int) -> Bool { endpointReferences[endpoint] > 0 }

    /// The channels named by endpoint handles queued in either inbox (the loop check follows them).
    var queuedChannels: [ChannelID] {
        var found: [ChannelID] = []
        for inbox in inboxes {
            for message in inbox {
                for handle in message.handles { if let channel = handle.object.channel { found.append(channel) } }
            }
        }
        return found
    }
}

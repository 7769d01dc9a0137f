// The whole layer's checker: each structure's own rules, then references against their holders.
// The holders of an object are the handles naming it (in the given tables and queued in channels)
// plus the mapping regions the caller counts; an endpoint's are the handles naming it.

/// The first broken rule found anywhere in the objects layer.
public enum KernelObjectsInvariantViolation: Error, Equatable, Sendable {
    case objects(ObjectInvariantViolation)
    case channels(ChannelInvariantViolation)
    case handleTable(index: Int, HandleTableInvariantViolation)
}

extension KernelObjects {
    /// `tables`: every process's handle table; `mappingReferences`: per object, the mapping
    /// regions (or whatever else the caller retained for) holding a reference.
    public func checkInvariants(
        tables: [HandleTable], mappingReferences: [ObjectID: UInt32]
    )
        -> KernelObjectsInvariantViolation?
    {
        for (index, table) in tables.enumerated() {
            if let violation = table.checkInvariants() { return .handleTable(index: index, violation) }
        }
        if let violation = memory.checkInvariants() { return .objects(violation) }
        if let violation = channels.checkInvariants() { return .channels(violation) }
        var objectHolders = mappingReferences
        var endpointHolders: [ChannelEndpoint: UInt32] = [:]
        var held = channels.handlesInTransit
        for table in tables { held += table.entries.map { $0.handle } }
        for handle in held {
            switch handle.object {
            case .memory(let id): objectHolders[id, default: 0] += 1
            case .channel(let id, let e): endpointHolders[ChannelEndpoint(channel: id, endpoint: e), default: 0] += 1
            }
        }
        if let violation = memory.checkReferences(holders: objectHolders) { return .objects(violation) }
        if let violation = channels.checkReferences(holders: endpointHolders) { return .channels(violation) }
        return nil
    }
}

// The objects layer as the kernel holds it: the memory-object registry and the channels (one of
// each per kernel), with the operations that cross them through handles. "One handle = one
// reference" lives here: every new handle retains what it names, every handle that dies
// releases it, and a release that closes a channel endpoint releases the handles that endpoint's
// queue carried, and so on (a worklist, not recursion: a chain of channels cannot grow the stack).

import MemoryCore

/// What a close (or a process's end) released, for the log.
public struct ReleaseSummary: Equatable, Sendable {
    public var handlesReleased = 0
    public var objectsDestroyed = 0
    public var framesFreed: UInt64 = 0
    public var endpointsClosed = 0
    public var channelsDestroyed = 0
    /// Endpoints closed by this release whose peers are still open: the kernel wakes receivers
    /// blocked on those peers (they now get peerClosed).
    public var peersToWake: [ChannelEndpoint] = []

    public init() {}
}

public struct KernelObjects {
    public var memory = MemoryObjects()
    public var channels = Channels()

    public init() {}

    // MARK: Handles to new things

    /// A new object of `pageCount` pages and its handle (all rights) in `table`.
    public mutating func createObject<Source: ObjectFrameSource>(
        pageCount: UInt64, table: inout HandleTable, source: inout Source
    ) throws(ObjectError) -> (HandleValue, ObjectID) {
        guard table.freeCount > 0 else { throw .handleTableFull }
        let id = try memory.create(pageCount: pageCount, source: &source)
        return (try table.insert(Handle(object: .memory(id), rights: .all)), id)
    }

    /// A CoW clone of a range of the object `value` names (needs read and duplicate) and its
    /// handle (all rights). The caller write-protects the source's mappings over the range.
    public mutating func cloneObject<Source: ObjectFrameSource>(
        _ value: HandleValue, firstPage: UInt64, pageCount: UInt64, table: inout HandleTable, source: inout Source
    ) throws(ObjectError) -> (HandleValue, ObjectID) {
        let original = try memoryObject(value, needing: [.read, .duplicate], in: table)
        guard table.freeCount > 0 else { throw .handleTableFull }
        let id = try memory.clone(original, firstPage: firstPage, pageCount: pageCount, source: &source)
        return (try table.insert(Handle(object: .memory(id), rights: .all)), id)
    }

    /// A new object over frames moved out of the caller's memory (see MemoryObjects.adopt) and its
    /// handle (all rights).
    public mutating func adoptFrames<Source: ObjectFrameSource>(
        _ frames: [FrameNumber?], table: inout HandleTable, source: inout Source
    ) throws(ObjectError) -> (HandleValue, ObjectID) {
        guard table.freeCount > 0 else { throw .handleTableFull }
        let id = try memory.adopt(frames: frames, source: &source)
        return (try table.insert(Handle(object: .memory(id), rights: .all)), id)
    }

    /// A new channel and its two endpoint handles (all rights), both in `table`.
    public mutating func createChannel(table: inout HandleTable) throws(ObjectError) -> (HandleValue, HandleValue) {
        guard table.freeCount >= 2 else { throw .handleTableFull }
        let id = try channels.create()
        let first = try table.insert(Handle(object: .channel(id, endpoint: 0), rights: .all))
        let second = try table.insert(Handle(object: .channel(id, endpoint: 1), rights: .all))
        return (first, second)
    }

    /// Another handle to what `value` names, with `rights` (needs duplicate; rights a subset).
    public mutating func duplicate(
        _ value: HandleValue, rights: Rights, table: inout HandleTable
    ) throws(ObjectError)
        -> HandleValue
    {
        let handle = try table.lookup(value)
        guard handle.rights.contains(.duplicate), handle.rights.isSuperset(of: rights) else { throw .rightsExceeded }
        guard table.freeCount > 0 else { throw .handleTableFull }
        try retain(handle.object)
        return try table.insert(Handle(object: handle.object, rights: rights))
    }

    /// The memory object `value` names, checking kind and rights (badHandle, wrongKind,
    /// rightsExceeded). For map, commit, clone.
    public func memoryObject(
        _ value: HandleValue, needing rights: Rights, in table: HandleTable
    ) throws(ObjectError)
        -> ObjectID
    {
        let handle = try table.lookup(value)
        guard case .memory(let id) = handle.object else { throw .wrongKind }
        guard handle.rights.isSuperset(of: rights) else { throw .rightsExceeded }
        return id
    }

    // MARK: Moving handles

    /// Spawn: the handles `values` leave `parent` (each must carry transfer; all or none) and
    /// become the child's startup handles 0x10001, 0x10002, ... `child` must be fresh.
    public mutating func transferAtSpawn(
        _ values: [HandleValue], from parent: inout HandleTable, to child: inout HandleTable
    )
        throws(ObjectError) -> [HandleValue]
    {
        guard child.count == 0, values.count <= HandleTable.capacity else { throw .handleTableFull }
        try parent.checkTransferable(values)
        var probe = child
        _ = try probe.insertStartup([])  // a used child table refuses here, before the parent loses anything
        let handles = try parent.removeForTransfer(values)
        return try child.insertStartup(handles)
    }

    // MARK: Ending handles

    /// Closes the handle `value` names and releases what it held.
    public mutating func close<Source: ObjectFrameSource>(
        _ value: HandleValue, table: inout HandleTable, source: inout Source
    )
        throws(ObjectError) -> ReleaseSummary
    {
        let handle = try table.remove(value)
        return release([handle], source: &source)
    }

    /// Process end: every handle in the table closed. (The caller also releases its mapping
    /// regions' object references.)
    public mutating func closeAll<Source: ObjectFrameSource>(table: inout HandleTable, source: inout Source) -> ReleaseSummary {
        release(table.removeAll(), source: &source)
    }

    /// Releases handles the caller owns (removed from a table, or from a spawn that failed), and
    /// everything that frees in turn.
    public mutating func release<Source: ObjectFrameSource>(_ handles: [Handle], source: inout Source) -> ReleaseSummary {
        var summary = ReleaseSummary()
        var pending = handles
        while let handle = pending.popLast() {
            summary.handlesReleased += 1
            switch handle.object {
            case .memory(let id):
                if case .destroyed(let freed, _)? = try? memory.release(id, source: &source) {
                    summary.objectsDestroyed += 1
                    summary.framesFreed += freed
                }
            case .channel(let id, let endpoint):
                guard let outcome = try? channels.releaseEndpoint(id, endpoint: endpoint) else { continue }
                pending += outcome.orphanedHandles
                if outcome.closed { summary.endpointsClosed += 1 }
                if outcome.channelDestroyed {
                    summary.channelsDestroyed += 1
                } else if outcome.closed {
                    summary.peersToWake.append(ChannelEndpoint(channel: id, endpoint: 1 - endpoint))
                }
            }
        }
        return summary
    }

    /// One more reference to what a handle names.
    public mutating func retain(_ object: KernelObject) throws(ObjectError) {
        switch object {
        case .memory(let id): try memory.retain(id)
        case .channel(let id, let endpoint): try channels.retainEndpoint(id, endpoint: endpoint)
        }
    }
}

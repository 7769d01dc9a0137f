// The handle and channel operations of the randomized test: duplicate, close, channel create,
// send (the transfer), receive, process exit and re-spawn with startup handles.
import MemoryCore
import MemoryObjects
import Testing

extension ObjectWorld {
    mutating func duplicate(_ p: Int) throws {
        let value = pickValue(p)
        let rights = pickRights()
        let handle = processes[p].model.lookup(value)
        let expected: ObjectError? =
            handle == nil
            ? .badHandle
            : !(handle!.rights.contains(.duplicate) && handle!.rights.isSuperset(of: rights))
                ? .rightsExceeded
                : processes[p].model.freeCount == 0 ? .handleTableFull : nil
        let result = outcome { () throws(ObjectError) in try kernel.duplicate(value, rights: rights, table: &processes[p].table) }
        note("duplicate", expected != nil)
        if let expected { return try #require(result.failure == expected, "duplicate: \(result) vs \(expected)") }
        model.retain(handle!.object)
        try #require(processes[p].model.insert(Handle(object: handle!.object, rights: rights)) == result.success)
    }

    mutating func close(_ p: Int) throws {
        let value = pickValue(p)
        let result = outcome { () throws(ObjectError) in try kernel.close(value, table: &processes[p].table, source: &source) }
        note("close", processes[p].model.lookup(value) == nil)
        guard processes[p].model.lookup(value) != nil else { return try #require(result.failure == .badHandle) }
        try #require(result.success != nil, "close: \(result)")
        model.release([processes[p].model.remove(value)])
        processes[p].staleValues.append(value)
    }

    mutating func createChannel(_ p: Int) throws {
        let expected: ObjectError? =
            processes[p].model.freeCount < 2
            ? .handleTableFull
            : model.channels.count == Channels.capacity ? .channelTableFull : nil
        let result = outcome { () throws(ObjectError) in try kernel.createChannel(table: &processes[p].table) }
        note("channel", expected != nil)
        if let expected { return try #require(result.failure == expected) }
        let (first, second) = try #require(result.success)
        guard case .channel(let id, 0)? = processes[p].table.entries.first(where: { $0.value == first })?.handle.object else {
            Issue.record("channel handle missing")
            return
        }
        model.channels[id] = ModelChannel()
        try #require(processes[p].model.insert(Handle(object: .channel(id, endpoint: 0), rights: .all)) == first)
        try #require(processes[p].model.insert(Handle(object: .channel(id, endpoint: 1), rights: .all)) == second)
    }

    /// The checks send makes, in its documented order, from the model.
    func expectedSendError(_ p: Int, _ endpointValue: HandleValue, bytes: Int, _ values: [HandleValue]) -> ObjectError? {
        let table = processes[p].model
        guard let endpointHandle = table.lookup(endpointValue) else { return .badHandle }
        guard case .channel(let id, let endpoint) = endpointHandle.object else { return .wrongKind }
        guard endpointHandle.rights.contains(.write) else { return .rightsExceeded }
        guard bytes <= Channels.maximumMessageBytes else { return .messageTooLarge }
        guard values.count <= Channels.maximumMessageHandles else { return .tooManyHandles }
        for (index, value) in values.enumerated() {
            guard let handle = table.lookup(value) else { return .badHandle }
            if values[..<index].contains(value) { return .duplicateHandle }
            guard handle.rights.contains(.transfer) else { return .rightsExceeded }
        }
        for value in values {
            guard let sent = table.lookup(value)!.object.channel else { continue }
            if sent == id { return .handleIsChannel }
            if model.reaches(from: sent, target: id) { return .channelLoop }
        }
        let receiver = 1 - Int(endpoint)
        guard model.channels[id]!.references[receiver] > 0 else { return .peerClosed }
        guard model.channels[id]!.inboxes[receiver].count < Channels.queueCapacity else { return .channelFull }
        return nil
    }

    mutating func send(_ p: Int) throws {
        let endpointValue = pickValue(p, preferring: Self.isChannel)
        let byteCount = chance(3) ? 257 + rng.below(100) : rng.below(Channels.maximumMessageBytes + 1)
        let bytes = (0 ..< byteCount).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let values = (0 ..< (chance(3) ? 5 : rng.below(4))).map { _ in pickValue(p) }
        let expected = expectedSendError(p, endpointValue, bytes: byteCount, values)
        let result = outcome { () throws(ObjectError) in
            try kernel.channels.send(through: endpointValue, bytes: bytes, handles: values, table: &processes[p].table)
        }
        note("send", expected != nil)
        if let expected { return try #require(result.failure == expected, "send: \(result) vs \(expected)") }
        guard case .channel(let id, let endpoint) = processes[p].model.lookup(endpointValue)!.object else { return }
        let receiver = 1 - endpoint
        try #require(result.success == ChannelEndpoint(channel: id, endpoint: receiver), "send: \(result)")
        let handles = values.map { processes[p].model.remove($0) }
        processes[p].staleValues += values
        model.channels[id]!.inboxes[Int(receiver)].append(ChannelMessage(bytes: bytes, handles: handles))
    }

    mutating func receive(_ p: Int) throws {
        let endpointValue = pickValue(p, preferring: Self.isChannel)
        let byteCapacity = chance(10) ? rng.below(64) : Channels.maximumMessageBytes
        let handleCapacity = chance(10) ? rng.below(2) : Channels.maximumMessageHandles
        var expected: ObjectError? = nil
        var message: ChannelMessage? = nil
        var place: (ChannelID, Int)? = nil
        if let handle = processes[p].model.lookup(endpointValue) {
            if case .channel(let id, let endpoint) = handle.object {
                if !handle.rights.contains(.read) {
                    expected = .rightsExceeded
                } else if let first = model.channels[id]!.inboxes[Int(endpoint)].first {
                    message = first
                    place = (id, Int(endpoint))
                    expected =
                        first.bytes.count > byteCapacity || first.handles.count > handleCapacity
                        ? .bufferTooSmall
                        : first.handles.count > processes[p].model.freeCount ? .handleTableFull : nil
                } else {
                    expected = model.channels[id]!.references[1 - Int(endpoint)] > 0 ? .wouldBlock : .peerClosed
                }
            } else {
                expected = .wrongKind
            }
        } else {
            expected = .badHandle
        }
        let result = outcome { () throws(ObjectError) in
            try kernel.channels.receive(
                through: endpointValue, byteCapacity: byteCapacity, handleCapacity: handleCapacity, table: &processes[p].table)
        }
        note("receive", expected != nil)
        if let expected { return try #require(result.failure == expected, "receive: \(result) vs \(expected)") }
        let received = try #require(result.success, "receive: \(result)")
        try #require(received.bytes == message!.bytes, "receive: the bytes changed in transit")
        model.channels[place!.0]!.inboxes[place!.1].removeFirst()
        let values = message!.handles.map { processes[p].model.insert($0) }
        try #require(received.handles == values, "receive: handle values \(received.handles) vs \(values)")
    }

    /// The process ends (every handle closed, every mapping released) and a new one takes its
    /// place, started by a random other process with up to 3 of that parent's handles.
    mutating func exitAndRespawn(_ p: Int) throws {
        let handles = processes[p].model.entries.map { $0.handle }
        _ = kernel.closeAll(table: &processes[p].table, source: &source)
        try #require(processes[p].table.count == 0)
        model.release(handles)
        for mapping in processes[p].mappings { try releaseMapping(mapping) }
        let stale = processes[p].model.entries.map { $0.value } + processes[p].staleValues.suffix(8)
        processes[p] = SimulatedProcess()
        processes[p].staleValues = stale
        note("exit", false)
        try checkAll()
        try spawn(child: p, parent: (p + 1 + rng.below(processes.count - 1)) % processes.count)
    }

    mutating func spawn(child p: Int, parent: Int) throws {
        let values = (0 ..< rng.below(4)).map { _ in pickValue(parent) }
        var expected: ObjectError? = nil
        for (index, value) in values.enumerated() where expected == nil {
            guard let handle = processes[parent].model.lookup(value) else {
                expected = .badHandle
                break
            }
            if values[..<index].contains(value) {
                expected = .duplicateHandle
            } else if !handle.rights.contains(.transfer) {
                expected = .rightsExceeded
            }
        }
        var childTable = processes[p].table
        let result = outcome { () throws(ObjectError) in
            try kernel.transferAtSpawn(values, from: &processes[parent].table, to: &childTable)
        }
        processes[p].table = childTable
        note("spawn", expected != nil)
        if let expected { return try #require(result.failure == expected, "spawn: \(result) vs \(expected)") }
        let handed = values.map { processes[parent].model.remove($0) }
        processes[parent].staleValues += values
        for (index, handle) in handed.enumerated() {
            try #require(processes[p].model.insert(handle) == HandleValue.startup(index: index))
        }
        try #require(result.success == (0 ..< values.count).map { HandleValue.startup(index: $0) })
    }
}

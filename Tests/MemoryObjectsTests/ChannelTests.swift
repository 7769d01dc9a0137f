// Channels and the handle operations across objects and channels: send/receive with handles,
// every refusal of send and receive (nothing changes), close semantics, the release cascade, the
// loop refusal, duplicate, spawn transfer, and the capacities.
import MemoryCore
import MemoryObjects
import Testing

/// A class, so that a closure can use its kernel and a table at once (distinct properties).
private final class Fixture {
    var kernel = KernelObjects()
    var source = FakeFrameSource()
    var a = HandleTable()
    var b = HandleTable()

    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(kernel.checkInvariants(tables: [a, b], mappingReferences: [:]) == nil, sourceLocation: sourceLocation)
        expectConsistent(kernel.memory, source, sourceLocation: sourceLocation)
    }

    /// A channel whose endpoint 0 is in a and endpoint 1 in b (given over at "spawn").
    func channelAToB() throws -> (HandleValue, HandleValue) {
        let (mine, theirs) = try kernel.createChannel(table: &a)
        var fresh = HandleTable()
        let given = try kernel.transferAtSpawn([theirs], from: &a, to: &fresh)
        b = fresh
        return (mine, given[0])
    }
}

@Suite struct ChannelTests {
    @Test func aHandleSentLeavesTheSenderAndArrivesAtTheReceiver() throws {
        let f = Fixture()
        let (sendEnd, receiveEnd) = try f.channelAToB()
        let (object, id) = try f.kernel.createObject(pageCount: 2, table: &f.a, source: &f.source)
        let target = try f.kernel.channels.send(through: sendEnd, bytes: [1, 2, 3], handles: [object], table: &f.a)
        #expect(target.endpoint == 1)
        #expect(throws: ObjectError.badHandle) { try f.a.lookup(object) }
        #expect(f.kernel.memory.references(of: id) == 1)  // held in transit
        f.check()
        let message = try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 256, handleCapacity: 4, table: &f.b)
        #expect(message.bytes == [1, 2, 3] && message.handles.count == 1)
        #expect(try f.b.lookup(message.handles[0]) == Handle(object: .memory(id), rights: .all))
        #expect(throws: ObjectError.wouldBlock) {
            try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 256, handleCapacity: 4, table: &f.b)
        }
        f.check()
    }

    @Test func sendRefusalsChangeNothing() throws {
        let f = Fixture()
        let (sendEnd, receiveEnd) = try f.channelAToB()
        let (object, _) = try f.kernel.createObject(pageCount: 1, table: &f.a, source: &f.source)
        let readOnly = try f.kernel.duplicate(object, rights: [.read], table: &f.a)
        let noWrite = try f.kernel.duplicate(sendEnd, rights: [.read], table: &f.a)
        let (other0, other1) = try f.kernel.createChannel(table: &f.a)
        func refuse(_ error: ObjectError, _ endpoint: HandleValue, bytes: Int = 1, _ handles: [HandleValue]) {
            #expect(throws: error) {
                try f.kernel.channels.send(
                    through: endpoint, bytes: Array(repeating: 0, count: bytes), handles: handles, table: &f.a)
            }
        }
        refuse(.badHandle, HandleValue(raw: 0x10040), [])
        refuse(.wrongKind, object, [])
        refuse(.rightsExceeded, noWrite, [])
        refuse(.messageTooLarge, sendEnd, bytes: 257, [])
        refuse(.tooManyHandles, sendEnd, [object, object, object, object, object])
        refuse(.badHandle, sendEnd, [object, HandleValue(raw: 0x7_0001)])
        refuse(.duplicateHandle, sendEnd, [object, object])
        refuse(.rightsExceeded, sendEnd, [readOnly])
        refuse(.handleIsChannel, sendEnd, [sendEnd])
        // other1 goes into this channel's queue; then sending this channel's endpoint over
        // `other` would make a loop no close could ever undo.
        _ = try f.kernel.channels.send(through: sendEnd, bytes: [], handles: [other1], table: &f.a)
        refuse(.channelLoop, other0, [sendEnd])
        f.check()
        for _ in 1 ..< Channels.queueCapacity {
            _ = try f.kernel.channels.send(through: sendEnd, bytes: [9], handles: [], table: &f.a)
        }
        refuse(.channelFull, sendEnd, [object])
        #expect(f.kernel.channels.queuedCount(try #require(f.a.lookup(sendEnd).object.channel), endpoint: 1) == 16)
        #expect((try? f.a.lookup(object)) != nil)
        f.check()
        _ = try f.kernel.close(receiveEnd, table: &f.b, source: &f.source)
        refuse(.peerClosed, sendEnd, [])
        f.check()
    }

    @Test func receiveRefusalsKeepTheMessageQueued() throws {
        let f = Fixture()
        let (sendEnd, receiveEnd) = try f.channelAToB()
        let (object, _) = try f.kernel.createObject(pageCount: 1, table: &f.a, source: &f.source)
        _ = try f.kernel.channels.send(through: sendEnd, bytes: Array(repeating: 5, count: 100), handles: [object], table: &f.a)
        let noRead = try f.kernel.duplicate(receiveEnd, rights: [.write, .duplicate], table: &f.b)
        #expect(throws: ObjectError.rightsExceeded) {
            try f.kernel.channels.receive(through: noRead, byteCapacity: 256, handleCapacity: 4, table: &f.b)
        }
        #expect(throws: ObjectError.bufferTooSmall) {
            try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 99, handleCapacity: 4, table: &f.b)
        }
        #expect(throws: ObjectError.bufferTooSmall) {
            try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 256, handleCapacity: 0, table: &f.b)
        }
        var filler: [HandleValue] = []
        while f.b.freeCount > 0 { filler.append(try f.kernel.duplicate(receiveEnd, rights: .all, table: &f.b)) }
        #expect(throws: ObjectError.handleTableFull) {
            try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 256, handleCapacity: 4, table: &f.b)
        }
        _ = try f.kernel.close(filler[0], table: &f.b, source: &f.source)
        f.check()
        let message = try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 100, handleCapacity: 1, table: &f.b)
        #expect(message.bytes.count == 100 && message.handles.count == 1)
        f.check()
    }

    @Test func closingTheSenderLetsTheQueueDrainThenPeerClosed() throws {
        let f = Fixture()
        let (sendEnd, receiveEnd) = try f.channelAToB()
        _ = try f.kernel.channels.send(through: sendEnd, bytes: [1], handles: [], table: &f.a)
        let summary = try f.kernel.close(sendEnd, table: &f.a, source: &f.source)
        #expect(summary.endpointsClosed == 1 && summary.peersToWake.count == 1 && summary.channelsDestroyed == 0)
        #expect(try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 8, handleCapacity: 0, table: &f.b).bytes == [1])
        #expect(throws: ObjectError.peerClosed) {
            try f.kernel.channels.receive(through: receiveEnd, byteCapacity: 8, handleCapacity: 0, table: &f.b)
        }
        let last = try f.kernel.close(receiveEnd, table: &f.b, source: &f.source)
        #expect(last.channelsDestroyed == 1 && f.kernel.channels.liveCount == 0)
        f.check()
    }

    @Test func aDyingChannelReleasesWhatItsQueueHeld() throws {
        let f = Fixture()
        let (sendEnd, receiveEnd) = try f.channelAToB()
        let (object, id) = try f.kernel.createObject(pageCount: 3, table: &f.a, source: &f.source)
        _ = try f.kernel.memory.commit(id, firstPage: 0, pageCount: 3, source: &f.source)
        // A second channel, one endpoint queued inside the first with the object inside the second.
        let (inner0, inner1) = try f.kernel.createChannel(table: &f.a)
        _ = try f.kernel.channels.send(through: inner0, bytes: [], handles: [object], table: &f.a)
        _ = try f.kernel.channels.send(through: sendEnd, bytes: [], handles: [inner1], table: &f.a)
        _ = try f.kernel.close(inner0, table: &f.a, source: &f.source)
        f.check()
        #expect(f.source.allocatedFrames == 3)
        // The receiver exits without receiving: its endpoint closes, its queue is released, the
        // inner channel dies, and the object it carried goes with all its frames and its charge.
        let summary = f.kernel.closeAll(table: &f.b, source: &f.source)
        #expect(summary.objectsDestroyed == 1 && summary.framesFreed == 3 && summary.channelsDestroyed == 1)
        #expect(f.source.allocatedFrames == 0 && f.source.charged == 0)
        _ = receiveEnd
        f.check()
        _ = f.kernel.closeAll(table: &f.a, source: &f.source)
        #expect(f.kernel.channels.liveCount == 0)
        f.check()
    }

    @Test func duplicateNeedsTheRightAndOnlyDropsRights() throws {
        let f = Fixture()
        let (object, id) = try f.kernel.createObject(pageCount: 1, table: &f.a, source: &f.source)
        let reader = try f.kernel.duplicate(object, rights: [.read, .map], table: &f.a)
        #expect(f.kernel.memory.references(of: id) == 2)
        #expect(throws: ObjectError.rightsExceeded) { try f.kernel.duplicate(reader, rights: [.read], table: &f.a) }
        let dup = try f.kernel.duplicate(object, rights: [.read, .duplicate], table: &f.a)
        #expect(throws: ObjectError.rightsExceeded) { try f.kernel.duplicate(dup, rights: [.read, .write], table: &f.a) }
        #expect(throws: ObjectError.rightsExceeded) { try f.kernel.memoryObject(reader, needing: [.write], in: f.a) }
        #expect(throws: ObjectError.rightsExceeded) {
            try f.kernel.cloneObject(reader, firstPage: 0, pageCount: 1, table: &f.a, source: &f.source)
        }
        #expect(throws: ObjectError.badHandle) { try f.kernel.memoryObject(reader, needing: [], in: f.b) }
        f.check()
        _ = f.kernel.closeAll(table: &f.a, source: &f.source)
        #expect(f.source.charged == 0)
        f.check()
    }

    @Test func spawnTransferIsAllOrNothing() throws {
        let f = Fixture()
        let (object, _) = try f.kernel.createObject(pageCount: 1, table: &f.a, source: &f.source)
        let stuck = try f.kernel.duplicate(object, rights: [.read, .map], table: &f.a)
        var child = HandleTable()
        #expect(throws: ObjectError.rightsExceeded) { try f.kernel.transferAtSpawn([object, stuck], from: &f.a, to: &child) }
        #expect(f.a.count == 2 && child.count == 0)
        var used = HandleTable()
        _ = try used.remove(try used.insert(Handle(object: .memory(ObjectID(raw: 0x10000)), rights: [])))
        #expect(throws: ObjectError.handleTableFull) { try f.kernel.transferAtSpawn([object], from: &f.a, to: &used) }
        #expect(f.a.count == 2)
        #expect(try f.kernel.transferAtSpawn([object], from: &f.a, to: &child) == [HandleValue(raw: 0x10001)])
        f.b = child
        f.check()
    }

    @Test func channelTableFillsToCapacity() throws {
        var kernel = KernelObjects()
        var tables: [HandleTable] = []
        for _ in 0 ..< Channels.capacity / 32 {
            var table = HandleTable()
            for _ in 0 ..< 32 { _ = try kernel.createChannel(table: &table) }
            tables.append(table)
        }
        var spare = HandleTable()
        #expect(throws: ObjectError.channelTableFull) { try kernel.createChannel(table: &spare) }
        #expect(spare.count == 0)
        #expect(kernel.checkInvariants(tables: tables + [spare], mappingReferences: [:]) == nil)
        var source = FakeFrameSource()
        for index in tables.indices { _ = kernel.closeAll(table: &tables[index], source: &source) }
        #expect(kernel.channels.liveCount == 0)
    }
}

// The checkers can fail: each one is shown a structure broken in one way and must name the break
// (a checker that always answers nil would pass every other test).
import MemoryCore
@testable import MemoryObjects
import Testing

@Suite struct CheckerTests {
    @Test func registryCheckerNamesEachBreak() throws {
        var source = FakeFrameSource()
        var objects = MemoryObjects()
        let id = try objects.create(pageCount: 2, source: &source)
        let frame = try objects.resolvePage(id, page: 0, forWrite: true, source: &source).frame
        #expect(objects.checkInvariants() == nil)

        var extraRef = objects
        _ = extraRef.frameCounts.retain(frame)
        #expect(extraRef.checkInvariants() == .frameCountWrong(frame, recorded: 2, actual: 1))

        var twice = objects
        twice.records[id.slot]!.pages[1] = PageSlot(frame: frame)!
        #expect(twice.checkInvariants() == .frameHeldTwiceByObject(id, frame))

        var miscounted = objects
        miscounted.committedPages += 1
        #expect(miscounted.checkInvariants() == .committedPagesWrong(recorded: 2, actual: 1))

        var uncharged = objects
        uncharged.chargedPages = 1
        #expect(uncharged.checkInvariants() == .chargedPagesWrong(recorded: 1, actual: 2))

        #expect(objects.checkFrames(isAllocated: { _ in false }) == .heldFrameNotAllocated(frame))
        #expect(objects.checkReferences(holders: [:]) == .objectReferencesWrong(id, recorded: 1, holders: 0))
        let ghost = ObjectID(raw: 0x10005)
        #expect(objects.checkReferences(holders: [id: 1, ghost: 1]) == .danglingObjectReference(ghost))
    }

    @Test func layerCheckerCountsHandlesInTablesAndInTransit() throws {
        var kernel = KernelObjects()
        var source = FakeFrameSource()
        var table = HandleTable()
        let (object, id) = try kernel.createObject(pageCount: 1, table: &table, source: &source)
        let (sendEnd, _) = try kernel.createChannel(table: &table)
        _ = try kernel.channels.send(through: sendEnd, bytes: [], handles: [object], table: &table)
        #expect(kernel.checkInvariants(tables: [table], mappingReferences: [:]) == nil)
        // A mapping the registry was never told about.
        #expect(
            kernel.checkInvariants(tables: [table], mappingReferences: [id: 1])
                == .objects(.objectReferencesWrong(id, recorded: 1, holders: 2)))
        // The table forgotten: its endpoint handles go uncounted.
        let channel = try #require(kernel.channels.liveChannels.first)
        #expect(
            kernel.checkInvariants(tables: [], mappingReferences: [:])
                == .channels(.endpointReferencesWrong(channel, endpoint: 0, recorded: 1, holders: 0)))
        var overfull = kernel
        overfull.channels.records[channel.slot]!.inboxes[1] += Array(
            repeating: ChannelMessage(bytes: [], handles: []), count: Channels.queueCapacity)
        #expect(overfull.channels.checkInvariants() == .queueOverCapacity(channel, endpoint: 1))
        var closedWithQueue = kernel
        closedWithQueue.channels.records[channel.slot]!.endpointReferences[1] = 0
        #expect(closedWithQueue.channels.checkInvariants() == .closedEndpointHasQueue(channel, endpoint: 1))
    }

    @Test func handleTableCheckerNamesABrokenSlot() throws {
        var table = HandleTable()
        _ = try table.insert(Handle(object: .memory(ObjectID(raw: 0x10000)), rights: .all))
        #expect(table.checkInvariants() == nil)
        var broken = table
        broken.handles[0] = nil
        #expect(broken.checkInvariants() == .countWrong(recorded: 1))
    }
}

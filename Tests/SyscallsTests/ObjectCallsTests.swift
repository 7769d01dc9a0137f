// The object calls (12-21) and spawn's handle passing through ObjectCalls.perform and
// ProcessCalls.perform on a world of simulated processes (ObjectWorld.swift): each call, each bad
// input with its errno and named reason (and nothing changed: handles, regions, objects, charges,
// frames), copy-on-write in every direction with the frame numbers that prove it, page transfer
// without a copy, a process ending while others share its objects, and a blocking receive.
import MemoryCore
import MemoryObjects
import PageTables
import Syscalls
import Testing

/// Everything a refused call must leave as it was.
struct WorldSnapshot: Equatable {
    var handles: [Int: [UInt64]]
    var handleTargets: [Int: [Handle]]
    var regions: [Int: [Region]]
    var statistics: ObjectStatistics
    var committed: UInt64
    var freeFrames: Int
    var channels: Int
    var queued: [Int]

    init(_ world: World) {
        handles = world.processes.mapValues { $0.handles.entries.map { $0.value.raw } }
        handleTargets = world.processes.mapValues { $0.handles.entries.map { $0.handle } }
        regions = world.processes.mapValues { $0.memory.regions.regions }
        statistics = world.kernel.memory.statistics
        committed = world.commit.committedPages
        freeFrames = world.pool.free.count
        channels = world.kernel.channels.liveCount
        queued = world.kernel.channels.liveChannels.flatMap { id in
            (0 ..< 2).map { world.kernel.channels.queuedCount(id, endpoint: UInt8($0)) ?? -1 }
        }
    }
}

let readOnly: UInt64 = 1
let readWrite: UInt64 = 3
let page: UInt64 = 4096

extension World {
    /// A call that must succeed; its value.
    @discardableResult
    func expectValue(_ pid: Int, _ request: ObjectRequest, sourceLocation: SourceLocation = #_sourceLocation) -> UInt64 {
        let outcome = perform(pid, request)
        #expect(outcome.rejection == nil, "\(request): \(String(describing: outcome.rejection))", sourceLocation: sourceLocation)
        #expect(check() == nil, "after \(request): \(check() ?? "")", sourceLocation: sourceLocation)
        return UInt64(bitPattern: outcome.result)
    }

    /// A call that must be refused with `errno` and `reason`, changing nothing.
    func expectRefused(
        _ pid: Int, _ request: ObjectRequest, _ errno: Errno, _ reason: RejectionReason,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let before = WorldSnapshot(self)
        let outcome = perform(pid, request)
        #expect(outcome.rejection == Rejection(errno, reason), "\(request)", sourceLocation: sourceLocation)
        #expect(outcome.result == -Int64(errno.rawValue), sourceLocation: sourceLocation)
        #expect(WorldSnapshot(self) == before, "\(request) changed something", sourceLocation: sourceLocation)
        #expect(check() == nil, "after \(request): \(check() ?? "")", sourceLocation: sourceLocation)
    }

    /// A new object of `pages` pages in `pid`, mapped read-write; (handle, address).
    func objectMapped(_ pid: Int, pages: UInt64) -> (handle: UInt64, address: UInt64) {
        let handle = expectValue(pid, .create(size: pages * page, options: 0))
        let address = expectValue(pid, .map(handle: handle, offset: 0, length: pages * page, protection: readWrite, hint: 0))
        return (handle, address)
    }

    /// Reads a UInt64 of `pid`'s memory.
    func word(_ pid: Int, _ address: UInt64) -> UInt64 {
        try! read(pid, address, count: 8).withUnsafeBytes { $0.load(as: UInt64.self) }
    }

    func writeWords(_ pid: Int, _ address: UInt64, _ words: [UInt64]) {
        try! write(pid, address, words.withUnsafeBytes { Array($0) })
    }

    /// `parent` makes a channel and spawns a child holding one end (its handle 0x10001): (parent's
    /// end, child pid).
    func connectChild(_ parent: Int) -> (end: UInt64, child: Int) {
        let output = UserSpace.imageBase.raw + 256
        expectValue(parent, .channelCreate(output: output))
        let ends = (word(parent, output), word(parent, output + 8))
        let name = UserSpace.imageBase.raw + 128, list = UserSpace.imageBase.raw + 512
        try! write(parent, name, Array("child".utf8))
        writeWords(parent, list, [ends.1])
        var caller = caller(parent)
        let outcome = ProcessCalls.perform(.spawn(name: name, length: 5, handles: list, handleCount: 1), machine: &caller)
        #expect(outcome.rejection == nil)
        return (ends.0, Int(outcome.result))
    }

    /// Sends `handles` over `end` (no bytes) and receives them in `receiver` through `receiverEnd`;
    /// their values there.
    func pass(_ handles: [UInt64], from sender: Int, over end: UInt64, to receiver: Int, at receiverEnd: UInt64) -> [UInt64] {
        let list = UserSpace.imageBase.raw + 512
        writeWords(sender, list, handles)
        expectValue(sender, .send(handle: end, bytes: 0, length: 0, handles: list, handleCount: UInt64(handles.count)))
        let out = UserSpace.imageBase.raw + 768
        let result = expectValue(
            receiver, .receive(handle: receiverEnd, buffer: 0, capacity: 0, handlesOutput: out, handlesCapacity: 4, flags: 1))
        #expect(result == UInt64(handles.count) << 32)
        return (0 ..< handles.count).map { word(receiver, out + UInt64($0) * 8) }
    }
}

@Suite struct ObjectCallsTests {
    @Test func decodesTheObjectCalls() {
        #expect(SyscallRequest.decode(number: 12, 1, 2, 3, 4, 5, 6) == .object(.create(size: 1, options: 2)))
        #expect(
            SyscallRequest.decode(number: 13, 1, 2, 3, 4, 5, 6)
                == .object(.map(handle: 1, offset: 2, length: 3, protection: 4, hint: 5, options: 6)))
        #expect(
            SyscallRequest.decode(number: 14, 1, 2, 3, 4, 5, 6) == .object(.commit(handle: 1, offset: 2, length: 3, operation: 4))
        )
        #expect(SyscallRequest.decode(number: 15, 1, 2, 3, 4, 5, 6) == .object(.duplicate(handle: 1, rights: 2)))
        #expect(SyscallRequest.decode(number: 16, 1, 2, 3, 4, 5, 6) == .object(.close(handle: 1)))
        #expect(SyscallRequest.decode(number: 17, 1, 2, 3, 4, 5, 6) == .object(.clone(handle: 1, offset: 2, length: 3)))
        #expect(SyscallRequest.decode(number: 18, 1, 2, 3, 4, 5, 6) == .object(.channelCreate(output: 1)))
        #expect(
            SyscallRequest.decode(number: 19, 1, 2, 3, 4, 5, 6)
                == .object(.send(handle: 1, bytes: 2, length: 3, handles: 4, handleCount: 5)))
        #expect(
            SyscallRequest.decode(number: 20, 1, 2, 3, 4, 5, 6)
                == .object(.receive(handle: 1, buffer: 2, capacity: 3, handlesOutput: 4, handlesCapacity: 5, flags: 6)))
        #expect(SyscallRequest.decode(number: 21, 1, 2, 3, 4, 5, 6) == .object(.fromRange(address: 1, length: 2)))
        #expect(SyscallRequest.decode(number: 22, 1, 2, 3, 4, 5, 6) == .unknown(number: 22))
        for errno in [Errno.badHandle, .permissionDenied, .tooManyHandles, .brokenPipe] {
            #expect(SyscallResult.errno(of: -Int64(errno.rawValue)) == errno)
        }
        let names = [Errno.badHandle, .permissionDenied, .tooManyHandles, .brokenPipe].map { "\($0.name)" }
        #expect(names == ["EBADF", "EACCES", "EMFILE", "EPIPE"])
    }

    @Test func createMapWriteReadAndASecondMappingSeesTheSameFrames() throws {
        let world = World()
        let pid = try world.start()
        let (handle, address) = world.objectMapped(pid, pages: 4)
        #expect(handle == 1 << 16 | 1)  // the first handle: slot 0, generation 1
        #expect(world.kernel.memory.statistics.chargedPages == 4)
        try world.write(pid, address + page + 10, [1, 2, 3])
        let second = world.expectValue(pid, .map(handle: handle, offset: page, length: 2 * page, protection: readOnly, hint: 0))
        #expect(try world.read(pid, second + 10, count: 3) == [1, 2, 3])
        #expect(world.frame(pid, second) == world.frame(pid, address + page))
        #expect(world.processes[pid]!.memory.mappedObjects.count == 1)
        #expect(world.kernel.memory.references(of: world.processes[pid]!.memory.mappedObjects[0]) == 2)  // handle + mappings
        // A read of an uncommitted page commits it (never the zero frame), read-only through the read-only mapping.
        #expect(try world.read(pid, second + page, count: 1) == [0])
        #expect(world.frame(pid, second + page) != world.zeroFrame && world.frame(pid, second + page) != nil)
        #expect(world.kernel.memory.statistics.committedPages == 2)
        // Unmapping one mapping keeps the frames; closing the handle keeps the object (still mapped).
        var machine = world.machine
        #expect(world.processes[pid]!.memory.unmap(address: address, length: 4 * page, machine: &machine) == .success(0))
        world.expectValue(pid, .close(handle: handle))
        #expect(try world.read(pid, second, count: 1) == [0])
        #expect(try world.read(pid, second + 10, count: 3) == [1, 2, 3])
        // The last mapping gone: the object dies, its frames and charge come back.
        #expect(world.processes[pid]!.memory.unmap(address: second, length: 2 * page, machine: &machine) == .success(0))
        #expect(world.kernel.memory.statistics.liveObjects == 0 && world.kernel.memory.chargedPages == 0)
        #expect(world.check() == nil)
        world.end(pid)
        #expect(world.check() == nil && world.commit.committedPages == 0 && world.pool.userFrames.isEmpty)
    }

    /// object_map's options are map's: populate gives every page its leaf in the call (committing
    /// uncommitted pages with the object's charge, never the zero frame), alignment places it.
    @Test func populateMapsEveryPageInTheCallAndOptionsFollowMapsRules() throws {
        let world = World()
        let pid = try world.start()
        let (handle, address) = world.objectMapped(pid, pages: 4)
        try world.write(pid, address + page, [7])  // page 1 committed and written through the first mapping
        let populate = MapOptions(populate: true, alignmentShift: 16).rawValue
        let view = world.expectValue(
            pid, .map(handle: handle, offset: 0, length: 4 * page, protection: readOnly, hint: 0, options: populate))
        #expect(view % (1 << 16) == 0)
        for index in 0 ..< UInt64(4) {
            let leaf = world.processes[pid]!.memory.space.translate(VirtualAddress(view + index * page))
            #expect(leaf != nil && leaf!.frame != world.zeroFrame && !leaf!.flags.contains(.writable))
        }
        #expect(world.frame(pid, view + page) == world.frame(pid, address + page))
        #expect(world.kernel.memory.statistics.committedPages == 4)
        #expect(try world.read(pid, view + page, count: 1) == [7])
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: readOnly, hint: 0, options: 1 << 2), .invalidArgument,
            .unknownMapOptions)
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: readOnly, hint: 0, options: 5 << 8), .invalidArgument,
            .badAlignment)
        #expect(world.check() == nil)
        world.end(pid)
        #expect(world.check() == nil && world.commit.committedPages == 0 && world.pool.userFrames.isEmpty)
    }

    @Test func badHandlesRightsAndRangesAreRefusedChangingNothing() throws {
        let world = World()
        let pid = try world.start(), other = try world.start()
        let (handle, address) = world.objectMapped(pid, pages: 4)
        _ = world.objectMapped(other, pages: 1)
        _ = world.expectValue(other, .create(size: page, options: 0))
        let closed = world.expectValue(pid, .duplicate(handle: handle, rights: 31))
        world.expectValue(pid, .close(handle: closed))
        let map = { (h: UInt64) in ObjectRequest.map(handle: h, offset: 0, length: page, protection: readOnly, hint: 0) }
        // Never given, closed (same slot, old generation), another process's value, malformed.
        world.expectRefused(pid, map(1 << 16 | 9), .badHandle, .object(.badHandle))
        world.expectRefused(pid, map(closed), .badHandle, .object(.badHandle))
        world.expectRefused(pid, map(1 << 16 | 3), .badHandle, .object(.badHandle))  // `other`'s third handle
        world.expectRefused(pid, map(0), .badHandle, .object(.badHandle))
        world.expectRefused(pid, map(1 << 40 | 1), .badHandle, .object(.badHandle))
        world.expectRefused(pid, .close(handle: closed), .badHandle, .object(.badHandle))
        // Wrong kind: a channel end where memory is needed, memory where a channel end is.
        world.expectValue(pid, .channelCreate(output: UserSpace.imageBase.raw + 256))
        let end = world.word(pid, UserSpace.imageBase.raw + 256)
        world.expectRefused(pid, map(end), .badHandle, .object(.wrongKind))
        world.expectRefused(
            pid, .send(handle: handle, bytes: 0, length: 0, handles: 0, handleCount: 0), .badHandle, .object(.wrongKind))
        // Rights: read-only + map handle; one without map; duplicate asking for more.
        let reader = world.expectValue(pid, .duplicate(handle: handle, rights: 1 | 4 | 8))
        let unmappable = world.expectValue(pid, .duplicate(handle: handle, rights: 1 | 2))
        world.expectRefused(
            pid, .map(handle: reader, offset: 0, length: page, protection: readWrite, hint: 0), .permissionDenied,
            .object(.rightsExceeded))
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: 5, hint: 0), .permissionDenied,
            .object(.rightsExceeded))  // read + execute: objects are never executable
        world.expectRefused(pid, map(unmappable), .permissionDenied, .object(.rightsExceeded))
        world.expectRefused(pid, .duplicate(handle: reader, rights: 31), .permissionDenied, .object(.rightsExceeded))
        world.expectRefused(pid, .duplicate(handle: unmappable, rights: 1), .permissionDenied, .object(.rightsExceeded))
        world.expectRefused(
            pid, .commit(handle: reader, offset: 0, length: page, operation: 0), .permissionDenied, .object(.rightsExceeded))
        world.expectRefused(pid, .clone(handle: unmappable, offset: 0, length: page), .permissionDenied, .object(.rightsExceeded))
        world.expectRefused(pid, .duplicate(handle: handle, rights: 64), .invalidArgument, .unknownRights)
        // Ranges: misaligned, empty, wrapping, outside the object.
        let ranged = { (offset: UInt64, length: UInt64) in
            ObjectRequest.map(handle: handle, offset: offset, length: length, protection: readOnly, hint: 0)
        }
        world.expectRefused(pid, ranged(100, page), .invalidArgument, .badRange(.misaligned))
        world.expectRefused(pid, ranged(0, 0), .invalidArgument, .badRange(.zeroLength))
        world.expectRefused(pid, ranged(UInt64.max - page + 1, 2 * page), .invalidArgument, .badRange(.wrapsAround))
        world.expectRefused(pid, ranged(4 * page, page), .invalidArgument, .object(.outsideObject))
        world.expectRefused(pid, ranged(2 * page, 3 * page), .invalidArgument, .object(.outsideObject))
        world.expectRefused(
            pid, .clone(handle: handle, offset: 8 * page, length: page), .invalidArgument, .object(.outsideObject))
        world.expectRefused(
            pid, .commit(handle: handle, offset: 0, length: 5 * page, operation: 0), .invalidArgument, .object(.outsideObject))
        world.expectRefused(
            pid, .commit(handle: handle, offset: 0, length: page, operation: 2), .invalidArgument, .unknownCommitOperation)
        // Mapping over an existing mapping, at a misaligned or kernel hint.
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: readOnly, hint: address + page), .exists,
            .overlapsMapping)
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: readOnly, hint: address + 5), .invalidArgument,
            .badRange(.misaligned))
        world.expectRefused(
            pid, .map(handle: handle, offset: 0, length: page, protection: readOnly, hint: UserSpace.imageBase.raw), .exists,
            .imageOrStack)
        world.expectRefused(pid, .create(size: page, options: 1), .invalidArgument, .unknownObjectOptions)
        world.expectRefused(pid, .create(size: 0, options: 0), .invalidArgument, .object(.zeroSize))
        world.expectRefused(pid, .create(size: 1 << 40, options: 0), .invalidArgument, .object(.tooLarge))
        #expect(world.check() == nil)
    }

    @Test func aFullHandleTableIsEMFILEAndProtectAndRemapRespectObjectRegions() throws {
        let world = World()
        let pid = try world.start()
        let (handle, address) = world.objectMapped(pid, pages: 2)
        let reader = world.expectValue(pid, .duplicate(handle: handle, rights: 1 | 4))
        let readOnlyMapping = world.expectValue(pid, .map(handle: reader, offset: 0, length: page, protection: readOnly, hint: 0))
        while world.processes[pid]!.handles.freeCount > 0 { world.expectValue(pid, .duplicate(handle: handle, rights: 1)) }
        world.expectRefused(pid, .create(size: page, options: 0), .tooManyHandles, .object(.handleTableFull))
        world.expectRefused(pid, .duplicate(handle: handle, rights: 1), .tooManyHandles, .object(.handleTableFull))
        world.expectRefused(pid, .clone(handle: handle, offset: 0, length: page), .tooManyHandles, .object(.handleTableFull))
        world.expectRefused(pid, .channelCreate(output: UserSpace.imageBase.raw), .tooManyHandles, .object(.handleTableFull))
        // protect: narrowing is allowed, widening only within the mapping handle's rights, never execute.
        var machine = world.machine
        let memory = { world.processes[pid]!.memory }
        #expect(
            world.processes[pid]!.memory.protect(address: address, length: page, protection: readOnly, machine: &machine)
                == .success(0))
        #expect(
            world.processes[pid]!.memory.protect(address: address, length: page, protection: readWrite, machine: &machine)
                == .success(0))
        let before = memory().regions.regions
        #expect(
            world.processes[pid]!.memory.protect(address: readOnlyMapping, length: page, protection: readWrite, machine: &machine)
                == .failure(Rejection(.rightsExceeded)))
        #expect(
            world.processes[pid]!.memory.protect(address: address, length: page, protection: 5, machine: &machine)
                == .failure(Rejection(.rightsExceeded)))
        #expect(
            world.processes[pid]!.memory.remap(
                address: address, oldLength: page, newLength: 2 * page, flags: 1, machine: &machine)
                == .failure(Rejection(.invalidArgument, .objectMapping)))
        #expect(memory().regions.regions == before && world.check() == nil)
        // Written through the re-widened mapping: the object's page, seen by the read-only mapping.
        try world.write(pid, address + 7, [42])
        #expect(try world.read(pid, readOnlyMapping + 7, count: 1) == [42])
        // Partial unmaps keep the page offsets: the second page of the first mapping stays page 1.
        #expect(world.processes[pid]!.memory.unmap(address: address, length: page, machine: &machine) == .success(0))
        try world.write(pid, address + page, [9])
        #expect(
            world.kernel.memory.frame(world.processes[pid]!.memory.mappedObjects[0], page: 1) == world.frame(pid, address + page))
        #expect(world.check() == nil)
    }

    @Test func copyOnWriteInEveryDirection() throws {
        let world = World()
        let pid = try world.start()
        let (source, address) = world.objectMapped(pid, pages: 4)
        for index in 0 ..< UInt64(4) { try world.write(pid, address + index * page, [UInt8(10 + index)]) }
        let frames = (0 ..< UInt64(4)).map { world.frame(pid, address + $0 * page)! }
        #expect(world.processes[pid]!.memory.space.translate(VirtualAddress(address))!.flags.contains(.writable))
        let clone = world.expectValue(pid, .clone(handle: source, offset: page, length: 2 * page))
        // The clone shares pages 1 and 2: the source's leaves over them became read-only, no copy yet.
        #expect(!world.processes[pid]!.memory.space.translate(VirtualAddress(address + page))!.flags.contains(.writable))
        #expect(world.processes[pid]!.memory.space.translate(VirtualAddress(address))!.flags.contains(.writable))
        #expect(world.kernel.memory.statistics.sharedFrames == 2 && world.kernel.memory.statistics.cowCopies == 0)
        let cloned = world.expectValue(pid, .map(handle: clone, offset: 0, length: 2 * page, protection: readWrite, hint: 0))
        #expect(try world.read(pid, cloned, count: 1) == [11])
        #expect(world.frame(pid, cloned) == frames[1])
        // A write in the clone copies its page; the source keeps its frame and bytes.
        try world.write(pid, cloned, [99])
        #expect(world.kernel.memory.statistics.cowCopies == 1)
        #expect(world.frame(pid, cloned) != frames[1] && world.frame(pid, address + page) == frames[1])
        #expect(try world.read(pid, address + page, count: 1) == [11])
        #expect(try world.read(pid, cloned, count: 1) == [99])
        // Page 1's old frame is the source's alone now: a write there reuses it (no copy).
        try world.write(pid, address + page, [12])
        #expect(world.kernel.memory.statistics.cowCopies == 1 && world.frame(pid, address + page) == frames[1])
        // A write in the source copies its page 2; the clone keeps the old frame and byte.
        #expect(try world.read(pid, cloned + page, count: 1) == [12] && world.frame(pid, cloned + page) == frames[2])
        try world.write(pid, address + 2 * page, [77])
        #expect(world.kernel.memory.statistics.cowCopies == 2)
        #expect(world.frame(pid, address + 2 * page) != frames[2] && world.frame(pid, cloned + page) == frames[2])
        #expect(try world.read(pid, cloned + page, count: 1) == [12])
        #expect(try world.read(pid, address + 2 * page, count: 1) == [77])
        #expect(world.kernel.memory.statistics.sharedFrames == 0)
        #expect(world.check() == nil)
    }

    @Test func aCopyInOneProcessDropsTheStaleLeavesOfEveryOtherMapping() throws {
        let world = World()
        let parent = try world.start()
        let (end, child) = world.connectChild(parent)
        let (source, address) = world.objectMapped(parent, pages: 2)
        try world.write(parent, address, [5])
        let clone = world.expectValue(parent, .clone(handle: source, offset: 0, length: 2 * page))
        let shared = world.expectValue(parent, .duplicate(handle: source, rights: 31))
        let inChild = world.pass([shared], from: parent, over: end, to: child, at: 1 << 16 | 1)[0]
        let childAddress = world.expectValue(
            child, .map(handle: inChild, offset: 0, length: 2 * page, protection: readWrite, hint: 0))
        // Both processes map the source: the same frame, the same bytes.
        #expect(try world.read(child, childAddress, count: 1) == [5])
        let oldFrame = world.frame(parent, address)!
        #expect(world.frame(child, childAddress) == oldFrame)
        // The parent also maps the source a second time: after the child's write copies the page,
        // every other mapping (the parent's two) must lose its leaf on the old frame.
        let again = world.expectValue(parent, .map(handle: source, offset: 0, length: page, protection: readOnly, hint: 0))
        #expect(try world.read(parent, again, count: 1) == [5])
        let invalidationsBefore = world.invalidations
        try world.write(child, childAddress, [6])
        // The child's own leaf replaced and the parent's two dropped: each invalidated.
        #expect(world.invalidations - invalidationsBefore >= 3)
        let newFrame = world.frame(child, childAddress)!
        #expect(newFrame != oldFrame && world.kernel.memory.statistics.cowCopies == 1)
        #expect(world.frame(parent, address) == nil && world.frame(parent, again) == nil)
        #expect(world.check() == nil)
        #expect(try world.read(parent, address, count: 1) == [6])
        #expect(try world.read(parent, again, count: 1) == [6])
        #expect(world.frame(parent, address) == newFrame)
        // The clone still holds the old frame and the old byte.
        let cloned = world.expectValue(parent, .map(handle: clone, offset: 0, length: page, protection: readOnly, hint: 0))
        #expect(world.frame(parent, cloned) == nil)
        #expect(try world.read(parent, cloned, count: 1) == [5])
        #expect(world.frame(parent, cloned) == oldFrame)
        // Decommit drops every mapping's leaves over the range; the pages read as zero again.
        world.expectValue(child, .commit(handle: inChild, offset: 0, length: page, operation: 1))
        #expect(world.frame(parent, address) == nil && world.frame(child, childAddress) == nil)
        #expect(try world.read(parent, address, count: 1) == [0])
        #expect(world.check() == nil)
    }

    @Test func pageTransferMovesTheFramesWithoutACopy() throws {
        let world = World()
        let parent = try world.start()
        let (end, child) = world.connectChild(parent)
        var machine = world.machine
        let buffer = try world.processes[parent]!.memory.map(hint: 0, length: 8 * page, protection: readWrite, machine: &machine)
            .get()
        for index in 0 ..< UInt64(6) { try world.write(parent, buffer + index * page, [UInt8(index + 1), 0xEE]) }
        _ = try world.read(parent, buffer + 6 * page, count: 1)  // page 6 on the zero frame, page 7 never touched
        let frames = (0 ..< UInt64(6)).map { world.frame(parent, buffer + $0 * page)! }
        let chargedBefore = world.processes[parent]!.memory.chargedDataPages
        let userFramesBefore = world.pool.userFrames, copiesBefore = world.kernel.memory.statistics.cowCopies
        // Refusals first: the image, pages not from map, a range partly unmapped.
        world.expectRefused(parent, .fromRange(address: UserSpace.imageBase.raw, length: page), .invalidArgument, .imageOrStack)
        world.expectRefused(parent, .fromRange(address: buffer + 100, length: page), .invalidArgument, .badRange(.misaligned))
        world.expectRefused(parent, .fromRange(address: buffer, length: 9 * page), .invalidArgument, .notAnonymous)
        let handle = world.expectValue(parent, .fromRange(address: buffer, length: 8 * page))
        let object = world.processes[parent]!.handles.entries.first { $0.value.raw == handle }!.handle.object
        guard case .memory(let id) = object else { throw ObjectError.wrongKind }
        #expect((0 ..< UInt64(6)).map { world.kernel.memory.frame(id, page: $0) } == frames)
        #expect(world.kernel.memory.frame(id, page: 6) == nil && world.kernel.memory.frame(id, page: 7) == nil)
        #expect(world.pool.userFrames == userFramesBefore && world.kernel.memory.statistics.cowCopies == copiesBefore)
        #expect(world.processes[parent]!.memory.chargedDataPages == chargedBefore - 8)
        #expect(world.kernel.memory.chargedPages == 8 && world.frame(parent, buffer) == nil)
        world.expectRefused(parent, .fromRange(address: buffer, length: page), .invalidArgument, .notAnonymous)
        // To the child, mapped there: the same frames, the bytes as written.
        let inChild = world.pass([handle], from: parent, over: end, to: child, at: 1 << 16 | 1)[0]
        let mapped = world.expectValue(child, .map(handle: inChild, offset: 0, length: 8 * page, protection: readOnly, hint: 0))
        for index in 0 ..< UInt64(6) {
            #expect(try world.read(child, mapped + index * page, count: 2) == [UInt8(index + 1), 0xEE])
            #expect(world.frame(child, mapped + index * page) == frames[Int(index)])
        }
        #expect(world.check() == nil)
    }

    @Test func aProcessEndingFreesExactlyWhatItAloneHeld() throws {
        let world = World()
        let parent = try world.start()
        let (end, child) = world.connectChild(parent)
        let (own, ownAddress) = world.objectMapped(parent, pages: 3)
        let (shared, sharedAddress) = world.objectMapped(parent, pages: 2)
        try world.write(parent, ownAddress, [1])
        try world.write(parent, ownAddress + 2 * page, [1])
        try world.write(parent, sharedAddress + page, [2])
        let inChild = world.pass(
            [world.expectValue(parent, .duplicate(handle: shared, rights: 31))], from: parent, over: end,
            to: child, at: 1 << 16 | 1)[0]
        let mapped = world.expectValue(child, .map(handle: inChild, offset: 0, length: 2 * page, protection: readOnly, hint: 0))
        world.expectValue(child, .close(handle: inChild))  // the child keeps only its mapping
        _ = own
        let sharedFrame = world.frame(parent, sharedAddress + page)!
        let ownFrames = [world.frame(parent, ownAddress)!, world.frame(parent, ownAddress + 2 * page)!]
        world.end(parent)  // killed while holding handles and mappings
        #expect(world.check() == nil)
        #expect(ownFrames.allSatisfy { !world.pool.userFrames.contains($0) })
        #expect(world.pool.userFrames.contains(sharedFrame) && world.kernel.memory.statistics.liveObjects == 1)
        #expect(world.kernel.memory.chargedPages == 2)
        #expect(try world.read(child, mapped + page, count: 1) == [2])
        // The child's end of the channel sees the parent gone.
        world.expectRefused(
            child, .send(handle: 1 << 16 | 1, bytes: 0, length: 0, handles: 0, handleCount: 0), .brokenPipe, .object(.peerClosed))
        world.end(child)
        #expect(world.check() == nil && world.processes.isEmpty)
        #expect(world.commit.committedPages == 0 && world.pool.userFrames.isEmpty && world.pool.tableFrames.isEmpty)
        #expect(world.kernel.memory.statistics.liveObjects == 0 && world.kernel.channels.liveCount == 0)
    }

    @Test func channelRefusalsAndABlockingReceive() throws {
        let world = World()
        let parent = try world.start()
        let (end, child) = world.connectChild(parent)
        let childEnd: UInt64 = 1 << 16 | 1
        let message = UserSpace.imageBase.raw + 1024, list = UserSpace.imageBase.raw + 512
        try world.write(parent, message, Array(0 ..< 255))
        let (object, _) = world.objectMapped(parent, pages: 1)
        let send = { (bytes: UInt64, length: UInt64, handles: UInt64, count: UInt64) in
            ObjectRequest.send(handle: end, bytes: bytes, length: length, handles: handles, handleCount: count)
        }
        world.expectRefused(parent, send(message, 257, 0, 0), .invalidArgument, .object(.messageTooLarge))
        world.expectRefused(parent, send(message, 1, list, 5), .invalidArgument, .object(.tooManyHandles))
        world.expectRefused(parent, send(0x1000, 8, 0, 0), .badAddress, .badRange(.touchesKernel))
        world.writeWords(parent, list, [end])
        world.expectRefused(parent, send(message, 1, list, 1), .invalidArgument, .object(.handleIsChannel))
        world.writeWords(parent, list, [object, object])
        world.expectRefused(parent, send(message, 1, list, 2), .invalidArgument, .object(.duplicateHandle))
        let untransferable = world.expectValue(parent, .duplicate(handle: object, rights: 1 | 4))
        world.writeWords(parent, list, [untransferable])
        world.expectRefused(parent, send(message, 1, list, 1), .permissionDenied, .object(.rightsExceeded))
        let receiveOnly = world.expectValue(parent, .duplicate(handle: end, rights: 1))
        world.expectRefused(
            parent, .send(handle: receiveOnly, bytes: 0, length: 0, handles: 0, handleCount: 0), .permissionDenied,
            .object(.rightsExceeded))
        // Nothing queued: non-blocking is EAGAIN; unknown flags EINVAL; a bad buffer EFAULT.
        let buffer = UserSpace.imageBase.raw + 4096
        let receive = { (capacity: UInt64, flags: UInt64) in
            ObjectRequest.receive(
                handle: childEnd, buffer: buffer, capacity: capacity, handlesOutput: list, handlesCapacity: 4, flags: flags)
        }
        world.expectRefused(child, receive(256, 1), .tryAgain, .object(.wouldBlock))
        world.expectRefused(child, receive(256, 2), .invalidArgument, .unknownReceiveFlags)
        world.expectRefused(
            child, .receive(handle: childEnd, buffer: 0x2000, capacity: 8, handlesOutput: list, handlesCapacity: 0, flags: 1),
            .badAddress, .badRange(.touchesKernel))
        // The queue fills at 16; a too-small buffer leaves the message queued.
        for _ in 0 ..< Channels.queueCapacity { world.expectValue(parent, send(message, 200, 0, 0)) }
        world.expectRefused(parent, send(message, 1, 0, 0), .tryAgain, .object(.channelFull))
        world.expectRefused(child, receive(199, 1), .invalidArgument, .object(.bufferTooSmall))
        #expect(world.expectValue(child, receive(256, 1)) == 200)
        #expect(try world.read(child, buffer, count: 200) == Array(0 ..< 200))
        for _ in 1 ..< Channels.queueCapacity { world.expectValue(child, receive(256, 1)) }
        // A blocking receive waits; the parent sends while it waits.
        world.whileWaiting = { world in world.expectValue(parent, send(message + 3, 4, 0, 0)) }
        #expect(world.expectValue(child, receive(256, 0)) == 4)
        #expect(world.waits == 1)
        #expect(try world.read(child, buffer, count: 4) == [3, 4, 5, 6])
        // The parent closes its end: the child's receive is EPIPE once its queue is empty.
        world.expectValue(parent, send(message, 1, 0, 0))
        world.expectValue(parent, .close(handle: receiveOnly))
        world.expectValue(parent, .close(handle: end))
        #expect(world.expectValue(child, receive(256, 0)) == 1)
        world.expectRefused(child, receive(256, 0), .brokenPipe, .object(.peerClosed))
        #expect(world.check() == nil)
    }

    @Test func spawnMovesTheHandlesToTheChildOrRefusesChangingNothing() throws {
        let world = World()
        let parent = try world.start()
        let first = world.expectValue(parent, .create(size: page, options: 0))
        let second = world.expectValue(parent, .create(size: 2 * page, options: 0))
        let noTransfer = world.expectValue(parent, .duplicate(handle: first, rights: 1))
        let name = UserSpace.imageBase.raw + 128, list = UserSpace.imageBase.raw + 512
        try world.write(parent, name, Array("child".utf8))
        var caller = world.caller(parent)
        func refused(_ values: [UInt64], count: UInt64? = nil, _ rejection: Rejection) {
            world.writeWords(parent, list, values)
            let before = WorldSnapshot(world)
            let outcome = ProcessCalls.perform(
                .spawn(name: name, length: 5, handles: list, handleCount: count ?? UInt64(values.count)), machine: &caller)
            #expect(outcome.rejection == rejection && WorldSnapshot(world) == before)
        }
        refused([first, 0x10009], Rejection(.badHandle))
        refused([first, first], Rejection(.duplicateHandle))
        refused([noTransfer], Rejection(.rightsExceeded))
        refused([first], count: 9, Rejection(.tooManyHandles))
        world.writeWords(parent, list, [second, first])
        let outcome = ProcessCalls.perform(.spawn(name: name, length: 5, handles: list, handleCount: 2), machine: &caller)
        let child = Int(outcome.result)
        #expect(outcome.rejection == nil && world.processes[child] != nil)
        let entries = world.processes[child]!.handles.entries
        #expect(entries.map { $0.value.raw } == [0x10001, 0x10002])
        #expect(world.processes[parent]!.handles.entries.map { $0.value.raw } == [noTransfer])
        #expect(world.expectValue(child, .map(handle: 0x10002, offset: 0, length: page, protection: readWrite, hint: 0)) != 0)
        world.expectRefused(parent, .close(handle: first), .badHandle, .object(.badHandle))
        #expect(world.check() == nil)
    }
}

// The object calls at the syscall level, 200 000 random operations across several simulated
// processes (create, map, unmap, clone, write and read faults, duplicate, close, send and receive
// handles, page transfer, commit/decommit, spawn with handles, process exit) against a reference
// model, with every checker after every operation (World.check: each changed process's memory with
// the object rules, the handle tables, the registry and the channels with their references, the
// commit ledger; every frame's owner every 500 steps), and at the end every frame and charge back.
//
// The model knows, per process, its handles (value -> what it names, with which rights) and its
// object mappings; per object the first byte of each page as last written (zero when never written
// or decommitted; a clone copies them); per channel endpoint its queued messages. It predicts every
// call's errno (or success) and every byte read; the world must agree exactly.
import MemoryCore
import MemoryObjects
import PageTables
import Syscalls
import TestSupport
import Testing

struct ModelMapping {
    var address: UInt64
    var object: ObjectID
    var firstPage: UInt64
    var pageCount: UInt64
    var writable: Bool
}

struct ModelEndpoint: Hashable {
    var channel: ChannelID
    var endpoint: UInt8
}

struct ObjectModel {
    var handles: [Int: [UInt64: Handle]] = [:]
    var mappings: [Int: [ModelMapping]] = [:]
    /// The first byte of each page of each live object.
    var objects: [ObjectID: [UInt8]] = [:]
    /// Messages queued for each endpoint: their handles (memory objects only).
    var queues: [ModelEndpoint: [[Handle]]] = [:]

    func isOpen(_ endpoint: ModelEndpoint) -> Bool {
        handles.values.contains { $0.values.contains { $0.object == .channel(endpoint.channel, endpoint: endpoint.endpoint) } }
    }

    /// After references went: closed endpoints lose their queues, objects nobody holds die.
    mutating func collect() {
        for key in queues.keys where !isOpen(key) { queues[key] = nil }
        var held = Set<ObjectID>()
        for table in handles.values { for handle in table.values { if case .memory(let id) = handle.object { held.insert(id) } } }
        for messages in queues.values {
            for handles in messages { for handle in handles { if case .memory(let id) = handle.object { held.insert(id) } } }
        }
        for list in mappings.values { for mapping in list { held.insert(mapping.object) } }
        for id in objects.keys where !held.contains(id) { objects[id] = nil }
    }
}

struct ObjectModelRun {
    let world: World
    var model = ObjectModel()
    var random: SeededGenerator
    var counts: [String: Int] = [:]
    var changed: [Int]? = nil
    static let pageBytes: UInt64 = 4096
    static let maximumProcesses = 4
    static let scratch = UserSpace.imageBase.raw + 2048  // image page 0: read-write, backed at load

    init(seed: UInt64) throws {
        world = World(frames: 6144)
        random = SeededGenerator(seed: seed)
        for _ in 0 ..< 2 { start(try world.start()) }
    }

    mutating func start(_ pid: Int) {
        model.handles[pid] = [:]
        model.mappings[pid] = []
    }

    mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func below(_ bound: UInt64) -> UInt64 { random.next() % bound }

    /// A handle value of `pid` (sometimes a value it does not hold), with what the model says it names.
    mutating func someHandle(_ pid: Int, memoryOnly: Bool = false) -> (UInt64, Handle?) {
        if chance(5) {  // mostly values never given (or closed)
            let value = below(3) << 16 | (below(70) + 1)
            return (value, model.handles[pid]![value])
        }
        let held = model.handles[pid]!.filter { !memoryOnly || $0.value.object.channel == nil }.keys.sorted()
        guard let value = pick(held) else { return (1 << 16 | 1, model.handles[pid]![1 << 16 | 1]) }
        return (value, model.handles[pid]![value])
    }

    /// Runs one random operation; nil when the world agreed with the model, else the difference.
    /// Sets `changed`: the processes whose memory or handles the operation may have changed.
    mutating func step() -> String? {
        let pid = pick(world.processes.keys.sorted())!
        let roll = below(1000)
        // Writes (a CoW copy), clones and decommits reach every mapping of the object; spawn and
        // exit change two processes or the set: every process is checked after them.
        changed = (290 ..< 460).contains(roll) || (600 ..< 660).contains(roll) || roll >= 920 ? nil : [pid]
        switch roll {
        case 0 ..< 90: return create(pid)
        case 90 ..< 220: return map(pid)
        case 220 ..< 290: return unmap(pid)
        case 290 ..< 460: return touch(pid, write: true)
        case 460 ..< 600: return touch(pid, write: false)
        case 600 ..< 660: return clone(pid)
        case 660 ..< 730: return duplicate(pid)
        case 730 ..< 800: return close(pid)
        case 800 ..< 860: return send(pid)
        case 860 ..< 920: return receive(pid)
        case 920 ..< 950: return commit(pid)
        case 950 ..< 970: return fromRange(pid)
        case 970 ..< 990: return spawn(pid)
        default: return exit(pid)
        }
    }

    /// The call's outcome against the prediction (nil: success expected).
    mutating func expect(
        _ name: String, _ outcome: SyscallOutcome, _ predicted: Rejection?
    ) -> String? {
        counts[predicted == nil ? name : name + "-refused", default: 0] += 1
        guard outcome.rejection == predicted else {
            return "\(name): got \(String(describing: outcome.rejection)), model says \(String(describing: predicted))"
        }
        return nil
    }

    func realHandle(_ pid: Int, _ value: UInt64) -> Handle? { try? world.processes[pid]!.handles.lookup(HandleValue(raw: value)) }

    /// A new handle value the world returned: fresh in the model, naming what it should.
    mutating func learn(_ pid: Int, _ value: UInt64, _ handle: Handle) -> String? {
        guard model.handles[pid]![value] == nil, realHandle(pid, value) == handle else {
            return "new handle \(value) of pid \(pid) is not \(handle)"
        }
        model.handles[pid]![value] = handle
        return nil
    }

    // MARK: - Objects

    mutating func create(_ pid: Int) -> String? {
        let pages = 1 + below(6)
        let outcome = world.perform(pid, .create(size: pages * Self.pageBytes - below(100), options: 0))
        let full = model.handles[pid]!.count == HandleTable.capacity
        if let problem = expect("create", outcome, full ? Rejection(.handleTableFull) : nil) { return problem }
        if full { return nil }
        let value = UInt64(outcome.result)
        guard let handle = realHandle(pid, value), case .memory(let id) = handle.object, model.objects[id] == nil else {
            return "create: no fresh object behind \(value)"
        }
        model.objects[id] = [UInt8](repeating: 0, count: Int(pages))
        return learn(pid, value, Handle(object: .memory(id), rights: .all))
    }

    /// The predicted refusal of a handle lookup needing `rights` on a memory object.
    func memoryRefusal(_ handle: Handle?, needing rights: Rights) -> Rejection? {
        guard let handle else { return Rejection(.badHandle) }
        guard case .memory = handle.object else { return Rejection(.wrongKind) }
        return handle.rights.isSuperset(of: rights) ? nil : Rejection(.rightsExceeded)
    }

    /// A random range of an object of `size` pages (sometimes outside it): (offset, length, pages or nil).
    mutating func someRange(size: UInt64) -> (UInt64, UInt64, (UInt64, UInt64)?) {
        if chance(4) { return (size * Self.pageBytes, Self.pageBytes, nil) }
        let first = below(size), count = 1 + below(size - first)
        return (first * Self.pageBytes, count * Self.pageBytes - below(50), (first, count))
    }

    mutating func map(_ pid: Int) -> String? {
        let (value, handle) = someHandle(pid)
        let protection: UInt64 = chance(3) ? 5 : (chance(50) ? 3 : 1)
        let writable = protection == 3
        var needed: Rights = [.map, .read]
        if writable { needed.insert(.write) }
        var predicted = memoryRefusal(handle, needing: needed)
        if predicted == nil && protection == 5 { predicted = Rejection(.rightsExceeded) }
        guard case .memory(let id)? = handle?.object, let size = model.objects[id].map({ UInt64($0.count) }) else {
            return expect(
                "map", world.perform(pid, .map(handle: value, offset: 0, length: 4096, protection: protection, hint: 0)),
                predicted)
        }
        let (offset, length, pages) = someRange(size: size)
        if predicted == nil && pages == nil { predicted = Rejection(.invalidArgument, .object(.outsideObject)) }
        let outcome = world.perform(pid, .map(handle: value, offset: offset, length: length, protection: protection, hint: 0))
        if let problem = expect("map", outcome, predicted) { return problem }
        if predicted == nil, let (first, count) = pages {
            model.mappings[pid]!.append(
                ModelMapping(address: UInt64(outcome.result), object: id, firstPage: first, pageCount: count, writable: writable))
        }
        return nil
    }

    mutating func unmap(_ pid: Int) -> String? {
        guard let index = pick(Array(model.mappings[pid]!.indices)) else { return nil }
        var mapping = model.mappings[pid]![index]
        // The whole mapping, its first pages or its last pages.
        let count = chance(50) ? mapping.pageCount : 1 + below(mapping.pageCount)
        let fromStart = chance(50)
        let address = fromStart ? mapping.address : mapping.address + (mapping.pageCount - count) * Self.pageBytes
        var machine = world.machine
        let outcome = world.processes[pid]!.memory.unmap(address: address, length: count * Self.pageBytes, machine: &machine)
        if let problem = expect("unmap", SyscallOutcome(outcome), nil) { return problem }
        if count == mapping.pageCount {
            model.mappings[pid]!.remove(at: index)
        } else {
            if fromStart {
                mapping.address += count * Self.pageBytes
                mapping.firstPage += count
            }
            mapping.pageCount -= count
            model.mappings[pid]![index] = mapping
        }
        model.collect()
        return nil
    }

    /// A write (a fault, then the byte stored) or a read of one page of a mapping, checked against
    /// the model's byte.
    mutating func touch(_ pid: Int, write: Bool) -> String? {
        guard let mapping = pick(model.mappings[pid]!) else { return nil }
        let page = below(mapping.pageCount)
        let address = mapping.address + page * Self.pageBytes
        let objectPage = Int(mapping.firstPage + page)
        if write {
            let byte = UInt8(truncatingIfNeeded: random.next() | 1)
            do throws(RejectionReason) { try world.write(pid, address, [byte]) } catch {
                counts["write-refused", default: 0] += 1
                return mapping.writable || error != .noAccess ? "write at \(address): \(error)" : nil
            }
            guard mapping.writable else { return "write through a read-only mapping succeeded" }
            model.objects[mapping.object]![objectPage] = byte
            counts["write", default: 0] += 1
        }
        let read: [UInt8]
        do throws(RejectionReason) { read = try world.read(pid, address, count: 1) } catch {
            return "read at \(address): \(error)"
        }
        counts[write ? "write-check" : "read", default: 0] += 1
        let expected = model.objects[mapping.object]![objectPage]
        return read == [expected]
            ? nil : "pid \(pid) read \(read[0]) at page \(objectPage) of \(mapping.object), model says \(expected)"
    }

    mutating func clone(_ pid: Int) -> String? {
        let (value, handle) = someHandle(pid, memoryOnly: true)
        var predicted = memoryRefusal(handle, needing: [.read, .duplicate])
        guard case .memory(let id)? = handle?.object, let contents = model.objects[id] else {
            return expect("clone", world.perform(pid, .clone(handle: value, offset: 0, length: 4096)), predicted)
        }
        let (offset, length, pages) = someRange(size: UInt64(contents.count))
        if predicted == nil && pages == nil { predicted = Rejection(.invalidArgument, .object(.outsideObject)) }
        if predicted == nil && model.handles[pid]!.count == HandleTable.capacity { predicted = Rejection(.handleTableFull) }
        let outcome = world.perform(pid, .clone(handle: value, offset: offset, length: length))
        if let problem = expect("clone", outcome, predicted) { return problem }
        guard predicted == nil, let (first, count) = pages else { return nil }
        guard let real = realHandle(pid, UInt64(outcome.result)), case .memory(let cloneID) = real.object else {
            return "clone: no object behind the new handle"
        }
        model.objects[cloneID] = Array(contents[Int(first) ..< Int(first + count)])
        return learn(pid, UInt64(outcome.result), Handle(object: .memory(cloneID), rights: .all))
    }

    mutating func commit(_ pid: Int) -> String? {
        let (value, handle) = someHandle(pid, memoryOnly: true)
        let operation = below(2)
        var predicted = memoryRefusal(handle, needing: .write)
        guard case .memory(let id)? = handle?.object, let contents = model.objects[id] else {
            return expect(
                "commit", world.perform(pid, .commit(handle: value, offset: 0, length: 4096, operation: operation)), predicted)
        }
        let (offset, length, pages) = someRange(size: UInt64(contents.count))
        if predicted == nil && pages == nil { predicted = Rejection(.invalidArgument, .object(.outsideObject)) }
        let outcome = world.perform(pid, .commit(handle: value, offset: offset, length: length, operation: operation))
        if let problem = expect(operation == 0 ? "commit" : "decommit", outcome, predicted) { return problem }
        if predicted == nil, operation == 1, let (first, count) = pages {
            for page in first ..< first + count { model.objects[id]![Int(page)] = 0 }
        }
        return nil
    }

    // MARK: - Handles

    mutating func duplicate(_ pid: Int) -> String? {
        let (value, handle) = someHandle(pid)
        let rights = chance(10) ? Rights.all : Rights(rawValue: UInt32(below(32))).intersection(handle?.rights ?? .all)
        var predicted: Rejection? = nil
        if handle == nil {
            predicted = Rejection(.badHandle)
        } else if !handle!.rights.contains(.duplicate) || !handle!.rights.isSuperset(of: rights) {
            predicted = Rejection(.rightsExceeded)
        } else if model.handles[pid]!.count == HandleTable.capacity {
            predicted = Rejection(.handleTableFull)
        }
        let outcome = world.perform(pid, .duplicate(handle: value, rights: UInt64(rights.rawValue)))
        if let problem = expect("duplicate", outcome, predicted) { return problem }
        guard predicted == nil, let handle else { return nil }
        return learn(pid, UInt64(outcome.result), Handle(object: handle.object, rights: rights))
    }

    mutating func close(_ pid: Int) -> String? {
        let (value, handle) = someHandle(pid)
        let outcome = world.perform(pid, .close(handle: value))
        if let problem = expect("close", outcome, handle == nil ? Rejection(.badHandle) : nil) { return problem }
        model.handles[pid]![value] = nil
        model.collect()
        return nil
    }

    /// A channel endpoint handle of `pid` with `right`, if it has one.
    mutating func endpoint(_ pid: Int) -> (UInt64, ModelEndpoint, Rights)? {
        let ends = model.handles[pid]!.filter { $0.value.object.channel != nil }.keys.sorted()
        guard let value = pick(ends), case .channel(let id, let end) = model.handles[pid]![value]!.object else { return nil }
        return (value, ModelEndpoint(channel: id, endpoint: end), model.handles[pid]![value]!.rights)
    }

    mutating func send(_ pid: Int) -> String? {
        guard let (value, end, rights) = endpoint(pid) else { return nil }
        let memory = model.handles[pid]!.filter { $0.value.object.channel == nil }.keys.sorted()
        var sent: [UInt64] = []
        for _ in 0 ..< below(3) { if let handle = pick(memory) { sent.append(handle) } }
        if chance(3) { sent.append(value) }  // its own endpoint
        let peer = ModelEndpoint(channel: end.channel, endpoint: 1 - end.endpoint)
        var predicted: Rejection? = nil
        if !rights.contains(.write) {
            predicted = Rejection(.rightsExceeded)
        } else if let problem = sendRefusal(pid, sent, own: value) {
            predicted = problem
        } else if !model.isOpen(peer) {
            predicted = Rejection(.peerClosed)
        } else if model.queues[peer, default: []].count == Channels.queueCapacity {
            predicted = Rejection(.channelFull)
        }
        world.writeWords(pid, Self.scratch, sent)
        let outcome = world.perform(
            pid,
            .send(handle: value, bytes: Self.scratch, length: below(64), handles: Self.scratch, handleCount: UInt64(sent.count)))
        if let problem = expect("send", outcome, predicted) { return problem }
        guard predicted == nil else { return nil }
        model.queues[peer, default: []].append(sent.map { model.handles[pid]![$0]! })
        for handle in sent { model.handles[pid]![handle] = nil }
        return nil
    }

    /// Channels.send's checks on the sent handles, in its order.
    func sendRefusal(_ pid: Int, _ sent: [UInt64], own: UInt64) -> Rejection? {
        for (index, value) in sent.enumerated() {
            if sent[..<index].contains(value) { return Rejection(.duplicateHandle) }
            if !model.handles[pid]![value]!.rights.contains(.transfer) { return Rejection(.rightsExceeded) }
        }
        return sent.contains(own) ? Rejection(.handleIsChannel) : nil
    }

    mutating func receive(_ pid: Int) -> String? {
        guard let (value, end, rights) = endpoint(pid) else { return nil }
        let queue = model.queues[end, default: []]
        let capacity = 1 + below(4)
        var predicted: Rejection? = nil
        if !rights.contains(.read) {
            predicted = Rejection(.rightsExceeded)
        } else if queue.isEmpty {
            predicted =
                model.isOpen(ModelEndpoint(channel: end.channel, endpoint: 1 - end.endpoint))
                ? Rejection(.wouldBlock) : Rejection(.peerClosed)
        } else if queue[0].count > capacity {
            predicted = Rejection(.bufferTooSmall)
        } else if queue[0].count > HandleTable.capacity - model.handles[pid]!.count {
            predicted = Rejection(.handleTableFull)
        }
        let output = Self.scratch + 512
        let outcome = world.perform(
            pid,
            .receive(
                handle: value, buffer: Self.scratch, capacity: 256, handlesOutput: output, handlesCapacity: capacity, flags: 1))
        if let problem = expect("receive", outcome, predicted) { return problem }
        guard predicted == nil else { return nil }
        let handles = model.queues[end]!.removeFirst()
        guard UInt64(outcome.result) >> 32 == UInt64(handles.count) else { return "receive: handle count" }
        for (index, handle) in handles.enumerated() {
            if let problem = learn(pid, world.word(pid, output + UInt64(index) * 8), handle) { return problem }
        }
        return nil
    }

    // MARK: - Page transfer, processes

    mutating func fromRange(_ pid: Int) -> String? {
        guard model.handles[pid]!.count < HandleTable.capacity else { return nil }
        let pages = 1 + below(4)
        var machine = world.machine
        guard
            case .success(let address) = world.processes[pid]!.memory.map(
                hint: 0, length: pages * Self.pageBytes, protection: 3, machine: &machine)
        else { return "map for a transfer refused" }
        var contents = [UInt8](repeating: 0, count: Int(pages))
        for page in 0 ..< Int(pages) where chance(60) {
            contents[page] = UInt8(truncatingIfNeeded: random.next() | 1)
            try! world.write(pid, address + UInt64(page) * Self.pageBytes, [contents[page]])
        }
        let outcome = world.perform(pid, .fromRange(address: address, length: pages * Self.pageBytes))
        if let problem = expect("from-range", outcome, nil) { return problem }
        guard let real = realHandle(pid, UInt64(outcome.result)), case .memory(let id) = real.object else {
            return "from-range: no object"
        }
        model.objects[id] = contents
        return learn(pid, UInt64(outcome.result), Handle(object: .memory(id), rights: .all))
    }

    /// A child started with a new channel's end and some of the parent's handles.
    mutating func spawn(_ pid: Int) -> String? {
        guard world.processes.count < Self.maximumProcesses, model.handles[pid]!.count <= HandleTable.capacity - 2 else {
            return nil
        }
        let output = Self.scratch
        if let problem = expect("channel-create", world.perform(pid, .channelCreate(output: output)), nil) { return problem }
        let ends = (world.word(pid, output), world.word(pid, output + 8))
        guard case .channel(let id, _)? = realHandle(pid, ends.0)?.object else { return "channel-create: no channel" }
        if let problem = learn(pid, ends.0, Handle(object: .channel(id, endpoint: 0), rights: .all)) { return problem }
        if let problem = learn(pid, ends.1, Handle(object: .channel(id, endpoint: 1), rights: .all)) { return problem }
        var given = [ends.1]
        let memory = model.handles[pid]!.filter { $0.value.object.channel == nil && $0.value.rights.contains(.transfer) }
        for value in memory.keys.sorted() where given.count < 3 && chance(30) { given.append(value) }
        let name = UserSpace.imageBase.raw + 1024, list = Self.scratch
        try! world.write(pid, name, Array("child".utf8))
        world.writeWords(pid, list, given)
        var caller = world.caller(pid)
        let outcome = ProcessCalls.perform(
            .spawn(name: name, length: 5, handles: list, handleCount: UInt64(given.count)), machine: &caller)
        if let problem = expect("spawn", outcome, nil) { return problem }
        let child = Int(outcome.result)
        start(child)
        for (index, value) in given.enumerated() {
            let handle = model.handles[pid]!.removeValue(forKey: value)!
            if let problem = learn(child, HandleValue.startup(index: index).raw, handle) { return problem }
        }
        return nil
    }

    mutating func exit(_ pid: Int) -> String? {
        guard world.processes.count > 1 else { return nil }
        world.end(pid)
        model.handles[pid] = nil
        model.mappings[pid] = nil
        model.collect()
        counts["exit", default: 0] += 1
        return nil
    }

    // MARK: - The world against the model

    /// The processes `pids` (nil: all) and the live objects (their number; with nil, the set) against the model.
    func compare(_ pids: [Int]?) -> String? {
        for pid in pids ?? Array(world.processes.keys) {
            guard let process = world.processes[pid] else { continue }
            var real: [UInt64: Handle] = [:]
            for entry in process.handles.entries { real[entry.value.raw] = entry.handle }
            guard real == model.handles[pid]! else { return "pid \(pid): handle table differs from the model" }
            for mapping in model.mappings[pid]! {
                guard let region = process.memory.regions.region(containing: VirtualAddress(mapping.address)),
                    region.objectPage(at: VirtualAddress(mapping.address))! == (mapping.object, mapping.firstPage)
                else { return "pid \(pid): mapping at \(mapping.address) differs from the model" }
            }
            let mappedPages = process.memory.regions.regions.reduce(UInt64(0)) { $0 + ($1.kind.object == nil ? 0 : $1.pageCount) }
            guard mappedPages == model.mappings[pid]!.reduce(0, { $0 + $1.pageCount }) else {
                return "pid \(pid): object pages mapped differ from the model"
            }
        }
        guard world.kernel.memory.statistics.liveObjects == model.objects.count,
            pids != nil || Set(world.kernel.memory.liveObjects) == Set(model.objects.keys)
        else {
            return "live objects: \(world.kernel.memory.liveObjects.count), model: \(model.objects.count)"
        }
        return nil
    }
}

@Suite struct ObjectCallsModelTests {
    static let operations = 200_000

    @Test func randomObjectCallsOnSeveralProcessesAgainstAReferenceModel() throws {
        var run = try ObjectModelRun(seed: 9)
        for step in 0 ..< Self.operations {
            // The processes the step changed every time, every process every 64 steps; frames every 500.
            let outcome = run.step()
            let pids = step % 64 == 0 ? nil : run.changed
            if let problem = outcome ?? run.compare(pids) ?? run.world.check(full: step % 500 == 0, pids: pids) {
                Issue.record("step \(step): \(problem)")
                return
            }
        }
        for pid in run.world.processes.keys.sorted() { run.world.end(pid) }
        #expect(run.world.check() == nil)
        #expect(run.world.kernel.memory.statistics.liveObjects == 0 && run.world.kernel.channels.liveCount == 0)
        #expect(run.world.commit.committedPages == 0 && run.world.pool.userFrames.isEmpty && run.world.pool.tableFrames.isEmpty)
        #expect(run.world.pool.free.count == run.world.frameCount - 2, "every frame back but frame 0 and the zero frame")
        let statistics = run.world.kernel.memory.statistics
        #expect(statistics.cowCopies > 100, "CoW copies: \(statistics.cowCopies)")
        for name in [
            "create", "map", "unmap", "write", "read", "clone", "duplicate", "close", "send", "receive", "decommit",
            "from-range", "spawn", "exit", "map-refused", "write-refused", "receive-refused", "send-refused",
        ] {
            #expect(run.counts[name, default: 0] > 20, "\(name) too rare: \(run.counts)")
        }
    }
}

// The process table against a reference model: random sequences of create (by the kernel or the
// running process), next, preempt, wait (for one child or any) and exit, with the invariant
// checker after every operation, the same answers from both, and every pid reaped exactly once.
import Scheduling
import TestSupport
import Testing

/// The reference: a dictionary of records and a queue, rules written the plain way.
struct SchedulerModel {
    enum State: Equatable { case runnable, running, waiting(Int?), blocked(UInt64), zombie(UInt64) }
    struct Record {
        var parent: Int?
        var tree: Int
        var state: State
    }
    let capacity: Int, treeLimit: Int
    var records: [Int: Record] = [:]
    var queue: [Int] = []
    var current: Int? = nil
    var lastID = 0

    func children(of id: Int) -> [Int] { records.filter { $0.value.parent == id }.map(\.key).sorted() }

    mutating func create(parent: Int?) -> Int? {
        if records.count >= capacity { return nil }
        let tree = parent.map { records[$0]!.tree } ?? lastID + 1
        if parent != nil, records.values.filter({ $0.tree == tree }).count >= treeLimit { return nil }
        lastID += 1
        records[lastID] = Record(parent: parent, tree: tree, state: .runnable)
        queue.append(lastID)
        return lastID
    }

    mutating func cancel(_ id: Int) {
        queue.removeAll { $0 == id }
        records[id] = nil
    }

    mutating func next() -> Int? {
        guard !queue.isEmpty else { return nil }
        current = queue.removeFirst()
        records[current!]!.state = .running
        return current
    }

    mutating func preempt() {
        records[current!]!.state = .runnable
        queue.append(current!)
        current = nil
    }

    /// (reaped pid, status), or nil + blocked flag.
    mutating func wait(for child: Int?) -> WaitAnswer {
        let id = current!
        let matching = children(of: id).filter { child == nil || $0 == child }
        if matching.isEmpty { return .noSuchChild }
        for candidate in matching {
            if case .zombie(let status) = records[candidate]!.state {
                records[candidate] = nil
                return .reaped(ProcessID(candidate), status: status)
            }
        }
        records[id]!.state = .waiting(child)
        current = nil
        return .blocked
    }

    mutating func block(on event: UInt64) {
        records[current!]!.state = .blocked(event)
        current = nil
    }

    mutating func wake(_ event: UInt64) -> [Int] {
        let woken = records.filter { $0.value.state == .blocked(event) }.map(\.key).sorted()
        for id in woken { records[id]!.state = .runnable }
        queue += woken
        return woken
    }

    mutating func exit(status: UInt64) -> [Int] {
        let id = current!
        current = nil
        var reaped: [Int] = []
        for child in children(of: id) {
            if case .zombie = records[child]!.state {
                records[child] = nil
                reaped.append(child)
            } else {
                records[child]!.parent = nil
            }
        }
        guard let parent = records[id]!.parent else {
            records[id] = nil
            return reaped + [id]
        }
        records[id]!.state = .zombie(status)
        if case .waiting(let awaited) = records[parent]!.state, awaited == nil || awaited == id {
            records[parent]!.state = .runnable
            queue.append(parent)
        }
        return reaped
    }
}

@Suite struct ProcessTableTests {
    @Test func aParentWaitsForItsChildAndReapsItOnce() throws {
        var table = ProcessTable(capacity: 8, treeLimit: 4)
        let parent = try table.create(parent: nil)
        #expect(table.next() == parent)
        let child = try table.create(parent: parent)
        #expect(table.wait(for: child) == .blocked)
        #expect(table.next() == child)
        let effects = table.exitCurrent(status: 7)
        #expect(effects.wokeParent == parent && !effects.reapedItself)
        #expect(table.next() == parent)
        #expect(table.wait(for: child) == .reaped(child, status: 7))
        #expect(table.wait(for: child) == .noSuchChild)
        #expect(table.checkInvariants() == nil)
    }

    @Test func anOrphanRunsOnAndIsReapedWhenItEnds() throws {
        var table = ProcessTable(capacity: 8, treeLimit: 4)
        let parent = try table.create(parent: nil)
        _ = table.next()
        let child = try table.create(parent: parent)
        let ended = try table.create(parent: parent)
        table.preemptCurrent()
        _ = table.next()  // the child runs
        #expect(table.current == child)
        table.preemptCurrent()
        #expect(table.next() == ended)
        _ = table.exitCurrent(status: 1)  // a zombie of parent
        #expect(table.next() == parent)
        let effects = table.exitCurrent(status: 0)
        #expect(effects.reapedItself && effects.reapedChildren == [ended] && effects.orphaned == [child])
        #expect(table.next() == child)
        #expect(table.exitCurrent(status: 0).reapedItself)
        #expect(table.entries.isEmpty && table.checkInvariants() == nil)
    }

    @Test func limitsRefuseAndChangeNothing() throws {
        var table = ProcessTable(capacity: 3, treeLimit: 2)
        let parent = try table.create(parent: nil)
        _ = table.next()
        let child = try table.create(parent: parent)
        #expect(throws: SpawnRefusal.treeFull) { try table.create(parent: parent) }
        table.preemptCurrent()
        #expect(table.next() == child)
        #expect(throws: SpawnRefusal.treeFull) { try table.create(parent: child) }  // a grandchild counts too
        table.preemptCurrent()
        _ = try table.create(parent: nil)
        #expect(throws: SpawnRefusal.tableFull) { try table.create(parent: nil) }
        #expect(table.entries.count == 3 && table.checkInvariants() == nil)
    }

    @Test(arguments: [1, 2, 3, 4])
    func randomSequencesMatchTheModel(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var table = ProcessTable(capacity: 12, treeLimit: 5)
        var model = SchedulerModel(capacity: 12, treeLimit: 5)
        var reaped: [Int: Int] = [:]
        var created = 0
        for step in 0 ..< 50_000 {
            let choice = Int.random(in: 0 ..< 100, using: &random)
            if table.current == nil {
                if choice < 15 || table.runQueue.isEmpty {
                    let got = try? table.create(parent: nil)
                    #expect(got?.raw == model.create(parent: nil), "step \(step)")
                    if got != nil { created += 1 }
                } else {
                    #expect(table.next()?.raw == model.next(), "step \(step)")
                }
            } else if choice < 30 {
                let got = try? table.create(parent: table.current)
                #expect(got?.raw == model.create(parent: model.current), "step \(step)")
                if let got {
                    created += 1
                    if choice < 18 {  // the kernel could not load it
                        table.cancel(got)
                        model.cancel(got.raw)
                        reaped[got.raw, default: 0] += 1
                    }
                }
            } else if choice < 55 {
                table.preemptCurrent()
                model.preempt()
            } else if choice < 80 {
                let children = model.children(of: model.current!)
                let any = choice < 65 || children.isEmpty
                let child: Int? = any ? nil : (choice < 77 ? children.randomElement(using: &random) : 10_000)
                let answer = table.wait(for: child.map(ProcessID.init))
                #expect(answer == model.wait(for: child), "step \(step)")
                if case .reaped(let id, _) = answer { reaped[id.raw, default: 0] += 1 }
            } else {
                let status = UInt64.random(in: 0 ... 255, using: &random)
                let effects = table.exitCurrent(status: status)
                var gone = effects.reapedChildren.map(\.raw)
                if effects.reapedItself, let last = model.current { gone.append(last) }
                #expect(gone.sorted() == model.exit(status: status).sorted(), "step \(step)")
                for id in gone { reaped[id, default: 0] += 1 }
            }
            try #require(table.checkInvariants() == nil, "step \(step): \(String(describing: table.checkInvariants()))")
            #expect(table.entries.map(\.id.raw) == model.records.keys.sorted())
            #expect(table.runQueue.map(\.raw) == model.queue)
        }
        // Drain: run everything to its end; every process ever created is reaped exactly once.
        while table.current != nil || !table.entries.isEmpty {
            if table.current == nil, table.next() == nil { break }
            let id = table.current!
            let children = table.entries.filter { $0.parent == id }
            if let zombie = children.first(where: { if case .zombie = $0.state { true } else { false } }) {
                if case .reaped(let reapedID, _) = table.wait(for: zombie.id) { reaped[reapedID.raw, default: 0] += 1 }
            } else {
                let effects = table.exitCurrent(status: 0)
                if effects.reapedItself { reaped[id.raw, default: 0] += 1 }
                for child in effects.reapedChildren { reaped[child.raw, default: 0] += 1 }
            }
            try #require(table.checkInvariants() == nil)
        }
        #expect(table.entries.isEmpty, "a process was lost: \(table.entries)")
        #expect(reaped.count == created && reaped.values.allSatisfy { $0 == 1 }, "every pid reaped exactly once")
        #expect(table.peakAlive > 1)
    }

    @Test func aBlockedProcessRunsOnlyAfterItsEventAndALostWakeupIsReported() throws {
        var table = ProcessTable(capacity: 8, treeLimit: 4)
        let receiver = try table.create(parent: nil)
        let sender = try table.create(parent: nil)
        #expect(table.next() == receiver)
        table.block(on: WaitEvent(7))
        #expect(table.entry(receiver)?.state == .blocked(on: WaitEvent(7)) && table.current == nil)
        #expect(table.blockedCount == 1)
        #expect(table.next() == sender)
        #expect(table.wake(WaitEvent(8)).isEmpty)  // another event wakes nobody
        table.preemptCurrent()
        #expect(table.next() == sender, "the blocked process is not queued")
        // The kernel judges the wait: a message queued without a wake is a lost wakeup.
        #expect(table.checkInvariants(stillBlocks: { _ in false }) == .blockedWithoutCause(receiver, WaitEvent(7)))
        #expect(table.wake(WaitEvent(7)) == [receiver])
        #expect(table.checkInvariants(stillBlocks: { _ in false }) == nil)
        table.preemptCurrent()
        #expect(table.next() == receiver)
        #expect(table.exitCurrent(status: 0).reapedItself)  // it ends only after it was woken: no wait left
        #expect(table.blockedCount == 0 && table.checkInvariants() == nil)
    }

    /// Receivers on three events (channel endpoints): a running process either takes its event's
    /// message (consumes `ready`) or blocks until a sender signals it; the table's checker judges
    /// with `stillBlocks` = "no message ready" after every step (so a missing wake fails at once).
    @Test(arguments: [5, 6, 7])
    func randomBlockingSequencesMatchTheModelAndLoseNoWakeup(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var table = ProcessTable(capacity: 10, treeLimit: 5)
        var model = SchedulerModel(capacity: 10, treeLimit: 5)
        var ready: [UInt64: Bool] = [0: false, 1: false, 2: false]
        var blocks = 0, wakes = 0
        for step in 0 ..< 40_000 {
            let choice = Int.random(in: 0 ..< 100, using: &random)
            let event = UInt64.random(in: 0 ..< 3, using: &random)
            if choice < 12 {  // a message arrives (from a process or a peer's close): signal
                ready[event] = true
                let woken = table.wake(WaitEvent(event))
                #expect(woken.map(\.raw) == model.wake(event), "step \(step)")
                wakes += woken.count
            } else if table.current == nil {
                if choice < 25 || table.runQueue.isEmpty {
                    #expect((try? table.create(parent: nil))?.raw == model.create(parent: nil), "step \(step)")
                } else {
                    #expect(table.next()?.raw == model.next(), "step \(step)")
                }
            } else if choice < 60 {  // receive
                if ready[event] == true {
                    ready[event] = false
                } else {
                    table.block(on: WaitEvent(event))
                    model.block(on: event)
                    blocks += 1
                }
            } else if choice < 85 {
                table.preemptCurrent()
                model.preempt()
            } else if choice < 90 {
                _ = try? table.create(parent: table.current)
                _ = model.create(parent: model.current)
            } else {
                _ = table.exitCurrent(status: 0)
                _ = model.exit(status: 0)
            }
            let violation = table.checkInvariants(stillBlocks: { ready[$0.raw] != true })
            try #require(violation == nil, "step \(step): \(String(describing: violation))")
            #expect(table.entries.map(\.id.raw) == model.records.keys.sorted(), "step \(step)")
            #expect(table.runQueue.map(\.raw) == model.queue, "step \(step)")
        }
        #expect(blocks > 1000 && wakes > 1000)
    }

    @Test func everyLiveProcessBlockedOrWaitingIsADeadlockAndTheBreakerWakesTheBlocked() throws {
        var table = ProcessTable(capacity: 8, treeLimit: 4)
        let parent = try table.create(parent: nil)
        #expect(table.next() == parent)
        let child = try table.create(parent: parent)
        #expect(table.wait(for: child) == .blocked)
        #expect(!table.isDeadlocked, "the child can still run")
        #expect(table.next() == child)
        table.block(on: WaitEvent(3))  // receives on a channel whose other end only it holds
        #expect(table.isDeadlocked)
        #expect(table.wakeAllBlocked() == [child])
        #expect(!table.isDeadlocked && table.checkInvariants() == nil)
        #expect(table.next() == child)
        #expect(table.exitCurrent(status: 1).wokeParent == parent)  // the kernel kills it: the parent's wait ends
        #expect(table.checkInvariants() == nil)
    }
}

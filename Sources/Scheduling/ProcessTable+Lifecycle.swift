// The state transitions. Each one either happens completely or is refused changing nothing.

extension ProcessTable {
    /// A new runnable process at the back of the run queue, child of `parent` (nil: the kernel's).
    public mutating func create(parent: ProcessID?) throws(SpawnRefusal) -> ProcessID {
        guard entries.count < capacity else { throw .tableFull }
        var parentIndex: Int? = nil
        let id = ProcessID(lastID + 1)
        var tree = id
        if let parent {
            guard let found = index(of: parent) else { preconditionFailure("create: unknown parent") }
            tree = entries[found].tree
            guard treeCount(tree) < treeLimit else { throw .treeFull }
            parentIndex = found
        }
        lastID += 1
        entries.append(ProcessEntry(id: id, parent: parent, tree: tree, state: .runnable, childCount: 0))
        if let parentIndex { entries[parentIndex].childCount += 1 }
        runQueue.append(id)
        peakAlive = max(peakAlive, aliveCount)
        return id
    }

    /// Undoes the `create` of a process that never ran (the kernel could not load its program).
    public mutating func cancel(_ id: ProcessID) {
        guard let found = index(of: id), entries[found].state == .runnable, entries[found].childCount == 0 else {
            preconditionFailure("cancel: not a fresh process")
        }
        runQueue.removeAll { $0 == id }
        remove(id)
    }

    /// Takes the first runnable process off the queue and makes it current; nil when none is
    /// runnable (the caller idles). Only when no process is current.
    public mutating func next() -> ProcessID? {
        precondition(current == nil, "next: a process is still current")
        guard !runQueue.isEmpty else { return nil }
        let id = runQueue.removeFirst()
        setState(id, .running)
        current = id
        return id
    }

    /// Whether a process other than the current one is waiting to run (a tick need not switch
    /// when none is).
    public var othersRunnable: Bool { !runQueue.isEmpty }

    /// The current process goes to the back of the run queue (a timer tick or a yield).
    public mutating func preemptCurrent() {
        guard let id = current else { preconditionFailure("preempt: nothing current") }
        setState(id, .runnable)
        runQueue.append(id)
        current = nil
    }

    /// The current process waits for its child `child` (nil: any child). A child already ended is
    /// reaped at once (the lowest pid first when any will do).
    public mutating func wait(for child: ProcessID?) -> WaitAnswer {
        guard let id = current else { preconditionFailure("wait: nothing current") }
        var matched = false
        for entry in entries where entry.parent == id && (child == nil || entry.id == child) {
            matched = true
            if case .zombie(let status) = entry.state {
                remove(entry.id)
                return .reaped(entry.id, status: status)
            }
        }
        guard matched else { return .noSuchChild }
        setState(id, .waiting(for: child))
        current = nil
        return .blocked
    }

    /// The current process blocks until `event` is signalled (it leaves the CPU; not queued).
    /// Only the running process blocks, so only it can end: a process always leaves `blocked`
    /// through `wake` before it can exit or be killed, and no wait outlives its process.
    public mutating func block(on event: WaitEvent) {
        guard let id = current else { preconditionFailure("block: nothing current") }
        setState(id, .blocked(on: event))
        current = nil
    }

    /// Every process blocked on `event` becomes runnable (at the back of the queue, lowest pid
    /// first); returns them. Signalling an event nobody waits for does nothing.
    @discardableResult
    public mutating func wake(_ event: WaitEvent) -> [ProcessID] {
        var woken: [ProcessID] = []
        for index in entries.indices where entries[index].state == .blocked(on: event) {
            entries[index].state = .runnable
            runQueue.append(entries[index].id)
            woken.append(entries[index].id)
        }
        return woken
    }

    /// Nothing runs, nothing can run, and some process is blocked on an event: every live process
    /// is blocked or waits for a child, and only a running process can signal an event (the
    /// kernel has no timers or devices that do), so none ever will. The kernel breaks it.
    public var isDeadlocked: Bool { current == nil && runQueue.isEmpty && blockedCount > 0 }

    /// Every blocked process becomes runnable (the deadlock breaker: the kernel ends each as it
    /// resumes); returns them.
    public mutating func wakeAllBlocked() -> [ProcessID] {
        var woken: [ProcessID] = []
        for index in entries.indices {
            guard case .blocked = entries[index].state else { continue }
            entries[index].state = .runnable
            runQueue.append(entries[index].id)
            woken.append(entries[index].id)
        }
        return woken
    }

    /// Processes blocked on any event.
    public var blockedCount: Int {
        entries.reduce(0) { if case .blocked = $1.state { $0 + 1 } else { $0 } }
    }

    /// The current process ended with `status` (exit or kill).
    public mutating func exitCurrent(status: UInt64) -> ExitEffects {
        guard let id = current else { preconditionFailure("exit: nothing current") }
        current = nil
        var effects = ExitEffects()
        for entry in entries where entry.parent == id {
            if case .zombie = entry.state {
                remove(entry.id)
                effects.reapedChildren.append(entry.id)
            } else {
                entries[index(of: entry.id)!].parent = nil
                effects.orphaned.append(entry.id)
            }
        }
        entries[index(of: id)!].childCount = 0
        guard let parent = entry(id)?.parent, let parentIndex = index(of: parent) else {
            remove(id)
            effects.reapedItself = true
            return effects
        }
        setState(id, .zombie(status: status))
        if case .waiting(let awaited) = entries[parentIndex].state, awaited == nil || awaited == id {
            entries[parentIndex].state = .runnable
            runQueue.append(parent)
            effects.wokeParent = parent
        }
        return effects
    }

    mutating func setState(_ id: ProcessID, _ state: ProcessState) {
        entries[index(of: id)!].state = state
    }

    /// Drops an entry (reaped), and its count in its parent.
    mutating func remove(_ id: ProcessID) {
        let found = index(of: id)!
        if let parent = entries[found].parent, let parentIndex = index(of: parent) {
            entries[parentIndex].childCount -= 1
        }
        entries.remove(at: found)
    }
}

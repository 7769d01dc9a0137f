// The table's invariant checker: called by the host tests after every operation, and by the
// kernel's checks build after every scheduling change.

/// The first broken rule found.
public enum SchedulingInvariantViolation: Error, Equatable, Sendable {
    case duplicateID(ProcessID)
    case idsOutOfOrder(ProcessID)
    case overCapacity(count: Int)
    case runnableNotQueuedOnce(ProcessID)
    case queuedButNotRunnable(ProcessID)
    case currentNotRunning(ProcessID?)
    case runningNotCurrent(ProcessID)
    case childCountWrong(ProcessID, recorded: Int, actual: Int)
    case treeLimitExceeded(ProcessID)
    case treeMismatch(ProcessID)
    case parentMissing(ProcessID)
    case orphanZombie(ProcessID)
    case waitingWithoutLiveChild(ProcessID)
    case waitingWithZombieChild(ProcessID)
    case peakBelowAlive(peak: Int, alive: Int)
    /// Blocked on an event whose condition already holds (a lost wakeup), by the kernel's judgement.
    case blockedWithoutCause(ProcessID, WaitEvent)
}

extension ProcessTable {
    /// `stillBlocks` (the kernel's): whether a process blocked on an event still has a reason to
    /// wait (its channel endpoint's queue empty and its peer open): false means a lost wakeup.
    public func checkInvariants(stillBlocks: (WaitEvent) -> Bool = { _ in true }) -> SchedulingInvariantViolation? {
        guard entries.count <= capacity else { return .overCapacity(count: entries.count) }
        guard peakAlive >= aliveCount else { return .peakBelowAlive(peak: peakAlive, alive: aliveCount) }
        var previous = 0
        for entry in entries {
            guard entry.id.raw > previous else {
                return entry.id.raw == previous ? .duplicateID(entry.id) : .idsOutOfOrder(entry.id)
            }
            previous = entry.id.raw
            if let violation = checkEntry(entry) { return violation }
            if case .blocked(let event) = entry.state, !stillBlocks(event) { return .blockedWithoutCause(entry.id, event) }
        }
        for id in runQueue {
            guard let entry = entry(id), entry.state == .runnable else { return .queuedButNotRunnable(id) }
        }
        if let current, entry(current)?.state != .running { return .currentNotRunning(current) }
        return nil
    }

    private func checkEntry(_ entry: ProcessEntry) -> SchedulingInvariantViolation? {
        let queued = runQueue.reduce(0) { $0 + ($1 == entry.id ? 1 : 0) }
        switch entry.state {
        case .runnable: if queued != 1 { return .runnableNotQueuedOnce(entry.id) }
        case .running: if current != entry.id { return .runningNotCurrent(entry.id) }
        case .waiting(let awaited):
            var live = false
            for child in entries where child.parent == entry.id && (awaited == nil || child.id == awaited) {
                if case .zombie = child.state { return .waitingWithZombieChild(entry.id) }
                live = true
            }
            if !live { return .waitingWithoutLiveChild(entry.id) }
        case .blocked: break  // not queued, not current: checked below and in checkInvariants
        case .zombie: if entry.parent == nil { return .orphanZombie(entry.id) }
        }
        if entry.state != .runnable && queued != 0 { return .queuedButNotRunnable(entry.id) }
        if let parent = entry.parent, index(of: parent) == nil { return .parentMissing(entry.id) }
        let children = entries.reduce(0) { $0 + ($1.parent == entry.id ? 1 : 0) }
        if children != entry.childCount { return .childCountWrong(entry.id, recorded: entry.childCount, actual: children) }
        if treeCount(entry.tree) > treeLimit { return .treeLimitExceeded(entry.tree) }
        if let parent = entry.parent, self.entry(parent)?.tree != entry.tree { return .treeMismatch(entry.id) }
        return nil
    }
}

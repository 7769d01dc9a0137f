// The process table: a bounded set of entries, the round-robin run queue and the current process.
// Bounded twice: `capacity` entries in all (zombies included: a process that never waits cannot
// grow the table past it) and `treeLimit` entries per tree (a process started by the kernel and
// every descendant it spawns, directly or not, orphans included: RLIMIT_NPROC's idea per program),
// so a spawn loop, even one whose children spawn too, fills its own tree and never the others'.

/// A process id: 1, 2, 3... never reused while the table lives.
public struct ProcessID: Hashable, Comparable, Sendable {
    public let raw: Int
    @inlinable public init(_ raw: Int) { self.raw = raw }
    @inlinable public static func < (a: ProcessID, b: ProcessID) -> Bool { a.raw < b.raw }
}

/// What a process is doing (see Scheduling.swift for what each state implies).
public enum ProcessState: Equatable, Sendable {
    case runnable
    case running
    /// Blocked in wait for this child, or for any child (nil).
    case waiting(for: ProcessID?)
    /// Blocked until `event` is signalled (a channel endpoint's receive: a message arrives or the
    /// peer closes). Woken by `wake(_:)`, never by time; the kernel re-checks its condition.
    case blocked(on: WaitEvent)
    /// Ended with this status; not yet reaped by its parent.
    case zombie(status: UInt64)
}

/// What a blocked process waits for: a key the kernel chooses (e.g. a channel endpoint's number).
/// The table only matches keys; what they mean, and when one is signalled, is the kernel's.
public struct WaitEvent: Hashable, Sendable {
    public let raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
}

public struct ProcessEntry: Equatable, Sendable {
    public let id: ProcessID
    /// nil: started by the kernel, or orphaned by its parent's end.
    public internal(set) var parent: ProcessID?
    /// The kernel-started process whose tree this one belongs to (itself for a kernel-started one).
    public let tree: ProcessID
    public internal(set) var state: ProcessState
    /// Children not yet reaped (live or zombie).
    public internal(set) var childCount: Int
}

/// Why a process could not be created.
public enum SpawnRefusal: Error, Equatable, Sendable {
    /// `capacity` entries exist (live and zombie together).
    case tableFull
    /// The parent's tree already has `treeLimit` entries.
    case treeFull
}

/// The answer to a wait.
public enum WaitAnswer: Equatable, Sendable {
    /// A matching child had ended: its entry is gone, its status is the answer.
    case reaped(ProcessID, status: UInt64)
    /// Matching children exist but none has ended: the caller is now waiting (not current).
    case blocked
    /// The caller has no such child (or no child at all).
    case noSuchChild
}

/// What an exit did besides ending the process.
public struct ExitEffects: Equatable, Sendable {
    /// The process itself was reaped at once (it had no parent to wait for it).
    public internal(set) var reapedItself: Bool = false
    /// Its zombie children, reaped now (their parent will never wait for them).
    public internal(set) var reapedChildren: [ProcessID] = []
    /// Its live children, now orphans.
    public internal(set) var orphaned: [ProcessID] = []
    /// The parent, woken from its wait.
    public internal(set) var wokeParent: ProcessID? = nil
}

public struct ProcessTable {
    public let capacity: Int
    public let treeLimit: Int
    /// Every entry, in creation order (so in pid order).
    public internal(set) var entries: [ProcessEntry] = []
    /// Runnable processes, the next to run first.
    public internal(set) var runQueue: [ProcessID] = []
    /// The process the CPU runs (state .running), nil while the scheduler or the idle loop runs.
    public internal(set) var current: ProcessID? = nil
    /// The last pid given out.
    public internal(set) var lastID = 0
    /// Most processes alive (not zombie) at once.
    public internal(set) var peakAlive = 0

    public init(capacity: Int, treeLimit: Int) {
        precondition(capacity > 0 && treeLimit > 0)
        self.capacity = capacity
        self.treeLimit = treeLimit
        entries.reserveCapacity(capacity)
        runQueue.reserveCapacity(capacity)
    }

    /// Gives the arrays' storage back to the allocator once the table is empty (the kernel's heap
    /// balance at power-off counts it). Figures (lastID, peakAlive) stay.
    public mutating func releaseStorage() {
        precondition(entries.isEmpty && current == nil, "releaseStorage: processes remain")
        entries = []
        runQueue = []
    }

    /// Processes not ended.
    public var aliveCount: Int {
        var count = 0
        for entry in entries { if case .zombie = entry.state {} else { count += 1 } }
        return count
    }

    /// Entries (live or zombie) of the tree rooted at `tree`.
    public func treeCount(_ tree: ProcessID) -> Int { entries.reduce(0) { $0 + ($1.tree == tree ? 1 : 0) } }

    public func index(of id: ProcessID) -> Int? { entries.firstIndex { $0.id == id } }

    public func entry(_ id: ProcessID) -> ProcessEntry? { index(of: id).map { entries[$0] } }
}

// Strict commit, the SerenityOS way: every page a process may back with a private frame is
// charged when it is reserved (map, brk, load), never when it is touched, so a fault on committed
// memory always finds a frame. The system's limit is the frames free when user programs start,
// less a kernel reserve (the kernel's heap and the tables no process is charged for come from the
// reserve); each process is also held to a quota. A refused charge is ENOMEM and changes nothing.
//
// Invariant: committedPages <= limitPages, and committedPages == the sum of every live process's
// charge (data pages + page-table pages).

/// The machine-wide commit ledger (one per kernel; a host test makes its own).
public struct SystemCommit: Hashable, Sendable {
    public private(set) var limitPages: UInt64
    public private(set) var committedPages: UInt64 = 0

    public init(limitPages: UInt64) { self.limitPages = limitPages }

    /// Adds `pages` to the committed total when that stays within the limit.
    public mutating func charge(_ pages: UInt64) -> Bool {
        guard pages <= limitPages - committedPages else { return false }
        committedPages += pages
        return true
    }

    /// Gives back pages charged before.
    public mutating func release(_ pages: UInt64) {
        precondition(pages <= committedPages, "commit released twice")
        committedPages -= pages
    }

    /// The limit for `freeFrames` free frames: all of them less the kernel's reserve, one frame
    /// in `reserveDivisor` but at least `minimumReservePages` (2 MiB).
    public static func limit(freeFrames: UInt64) -> UInt64 {
        let reserve = max(minimumReservePages, freeFrames / reserveDivisor)
        return freeFrames > reserve ? freeFrames - reserve : 0
    }

    public static let minimumReservePages: UInt64 = 512
    public static let reserveDivisor: UInt64 = 16
    /// A process's quota when the command line sets none (`commit_quota_mb=`): 1 GiB.
    public static let defaultQuotaPages: UInt64 = (1 << 30) / 4096
}

/// Why a charge was refused (ProcessMemory keeps the last one for the kernel's `vm oom` line).
public struct CommitRefusal: Hashable, Sendable {
    /// Pages the call asked to add to the process's charge.
    public var requestedPages: UInt64
    /// `.commitLimit` or `.quotaExceeded`.
    public var reason: RejectionReason

    public init(requestedPages: UInt64, reason: RejectionReason) {
        self.requestedPages = requestedPages
        self.reason = reason
    }
}

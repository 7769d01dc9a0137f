// Who holds a frame, as the trace's `owner=` and `pid=` fields say.

public struct FrameOwnerKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// heap, heap-large, page-table, user, demo (or whatever a newer kernel writes).
    public var kind: String
    /// The process for `user` and `page-table` frames (0: the kernel's own page tables).
    public var pid: Int?

    public init(kind: String, pid: Int? = nil) {
        self.kind = kind
        self.pid = pid
    }

    /// Stable, short and unique: `heap`, `user:3`, `page-table:0`.
    public var id: String { pid.map { "\(kind):\($0)" } ?? kind }

    public var description: String {
        switch (kind, pid) {
        case ("heap", _): "kernel heap"
        case ("heap-large", _): "kernel heap (large)"
        case ("page-table", 0?): "kernel page tables"
        case ("page-table", let pid?): "page tables pid \(pid)"
        case ("user", let pid?): "user pid \(pid)"
        case ("demo", _): "boot demo"
        default: id
        }
    }

    /// Order of display: kernel first, then processes by pid.
    public static func < (a: Self, b: Self) -> Bool {
        (a.sortRank, a.pid ?? -1, a.kind) < (b.sortRank, b.pid ?? -1, b.kind)
    }

    var sortRank: Int {
        switch (kind, pid) {
        case ("heap", _): 0
        case ("heap-large", _): 1
        case ("page-table", 0?): 2
        case ("demo", _): 3
        case ("user", _), ("page-table", _): 4
        default: 5
        }
    }

    /// The process a frame counts toward for resident memory, if any.
    public var process: Int? { pid.flatMap { $0 > 0 ? $0 : nil } }
}

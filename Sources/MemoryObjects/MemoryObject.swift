// One memory object's record in the registry: its page slots and the number of references
// (handles + mapping regions) keeping it alive. Its commit charge is pages.count, taken whole when
// it was made and released when it dies (strict commit: committing a page later never fails for
// want of memory).
//
// Invariants: pages.count in 1 ... MemoryObjects.maximumPageCount; references >= 1 while in the
// registry (the last release removes it); committedPages == number of committed slots.

struct MemoryObject {
    var pages: [PageSlot]
    var references: UInt32
    var committedPages: UInt64

    init(pages: [PageSlot], committedPages: UInt64) {
        self.pages = pages
        self.references = 1
        self.committedPages = committedPages
    }

    var pageCount: UInt64 { UInt64(pages.count) }

    /// The slot range [first, first + count) as Int indices, or nil when it is empty, wraps or
    /// passes the end.
    func pageRange(first: UInt64, count: UInt64) -> Range<Int>? {
        let (end, overflow) = first.addingReportingOverflow(count)
        guard !overflow, count > 0, end <= pageCount else { return nil }
        return Int(first) ..< Int(end)
    }
}

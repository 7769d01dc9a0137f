// What memstat reports: sixteen UInt64 in this order (128 bytes, little-endian). The first eight
// are the original record at their original offsets; the rest came with demand paging.
//   0  pages_mapped        resident pages of this process now (private frames: segments, stack,
//                          map, brk; the shared zero frame is not counted)
//   8  peak_pages_mapped   the high-water mark of pages_mapped
//   16 map_calls  24 unmap_calls  32 brk_calls   successful calls of each kind so far
//   40 break_start  48 break_current             the program break (first page after the image; now)
//   56 free_frames_system  free physical frames in the whole machine
//   64 committed_pages     this process's commit charge: reserved private pages + page-table pages
//   72 resident_pages      = pages_mapped
//   80 page_table_pages    page-table frames of this process now (its root included)
//   88 zero_fill_faults    faults that mapped a fresh zeroed frame
//   96 protection_faults   faults on a present page that were resolved (a zero-frame page written)
//   104 commit_limit_system    the system's commit limit (pages)
//   112 committed_system       the system's committed total (pages)
//   120 quota_pages            this process's commit quota (pages)
// Invariants the kernel keeps: break_start <= break_current, pages_mapped <= peak_pages_mapped,
// resident_pages <= committed_pages, committed_system <= commit_limit_system.

/// One memstat snapshot.
public struct MemoryStatistics: Equatable, Sendable {
    public var pagesMapped: UInt64 = 0
    public var peakPagesMapped: UInt64 = 0
    public var mapCalls: UInt64 = 0
    public var unmapCalls: UInt64 = 0
    public var brkCalls: UInt64 = 0
    public var breakStart: UInt64 = 0
    public var breakCurrent: UInt64 = 0
    public var freeFramesSystem: UInt64 = 0
    public var committedPages: UInt64 = 0
    public var residentPages: UInt64 = 0
    public var pageTablePages: UInt64 = 0
    public var zeroFillFaults: UInt64 = 0
    public var protectionFaults: UInt64 = 0
    public var commitLimitSystem: UInt64 = 0
    public var committedSystem: UInt64 = 0
    public var quotaPages: UInt64 = 0

    /// The record's size in bytes: what the kernel writes at `out`.
    public static let recordBytes = 128

    /// The record: a homogeneous tuple has C layout (fields in order, no padding), which a Swift
    /// struct does not promise.
    public typealias Record = (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    )

    public init() {}

    public init(record r: Record) {
        (pagesMapped, peakPagesMapped, mapCalls, unmapCalls) = (r.0, r.1, r.2, r.3)
        (brkCalls, breakStart, breakCurrent, freeFramesSystem) = (r.4, r.5, r.6, r.7)
        (committedPages, residentPages, pageTablePages, zeroFillFaults) = (r.8, r.9, r.10, r.11)
        (protectionFaults, commitLimitSystem, committedSystem, quotaPages) = (r.12, r.13, r.14, r.15)
    }

    /// The record the kernel writes.
    public var record: Record {
        (
            pagesMapped, peakPagesMapped, mapCalls, unmapCalls, brkCalls, breakStart, breakCurrent, freeFramesSystem,
            committedPages, residentPages, pageTablePages, zeroFillFaults, protectionFaults, commitLimitSystem, committedSystem,
            quotaPages
        )
    }
}

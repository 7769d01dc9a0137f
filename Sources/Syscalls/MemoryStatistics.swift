// What memstat reports: eight UInt64 in this order (64 bytes, little-endian).
//   pages_mapped        pages of this process mapped now (segments, stack, map, brk)
//   peak_pages_mapped   the high-water mark of pages_mapped
//   map_calls unmap_calls brk_calls   successful calls of each kind so far
//   break_start break_current         the program break (first page after the image; now)
//   free_frames_system  free physical frames in the whole machine
// Invariant the kernel keeps: break_start <= break_current, pages_mapped <= peak_pages_mapped.

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

    /// The record's size in bytes: what the kernel writes at `out`.
    public static let recordBytes = 64

    /// The record: a homogeneous tuple has C layout (fields in order, no padding), which a Swift
    /// struct does not promise.
    public typealias Record = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    public init() {}

    public init(record r: Record) {
        (pagesMapped, peakPagesMapped, mapCalls, unmapCalls) = (r.0, r.1, r.2, r.3)
        (brkCalls, breakStart, breakCurrent, freeFramesSystem) = (r.4, r.5, r.6, r.7)
    }

    /// The record the kernel writes.
    public var record: Record {
        (pagesMapped, peakPagesMapped, mapCalls, unmapCalls, brkCalls, breakStart, breakCurrent, freeFramesSystem)
    }
}

// What the kernel needs to load a validated program: its segments, entry point, extent and size.

import MemoryCore

/// A validated ELF executable, ready to load into a fresh user address space.
/// Invariants: the equations in ProgramLoader.swift, checked by `checkInvariants()`.
/// (Setters are internal, not private, so tests can build broken plans for `checkInvariants`.)
public struct LoadPlan: Equatable, Sendable {
    /// The most segments a plan holds (more is `ElfError.tooManyLoadSegments`).
    public static var segmentCapacity: Int { LoadSegmentList.capacity }

    /// e_entry: where the program starts, inside an executable segment.
    public let entry: VirtualAddress
    /// Length of the file the plan was made from (every copy lies inside it).
    public let fileByteCount: UInt64
    /// The range every segment lies in (`VirtualPageRange.userSpace` unless the caller narrowed it).
    public let userRange: VirtualPageRange
    /// The segments, sorted by address and disjoint at page granularity.
    public internal(set) var segments = LoadSegmentList()
    /// max(segment.pages.end): page-aligned, so the program break can start here.
    /// (userRange.start while the plan is being built and has no segment yet.)
    public internal(set) var imageEnd: VirtualAddress
    /// Σ segment.pages.pageCount: the frames the kernel must allocate (segments share no page).
    public internal(set) var totalPageCount: UInt64 = 0
    /// PT_LOAD entries with p_memsz == p_filesz == 0, skipped because they describe nothing.
    public internal(set) var skippedEmptySegmentCount = 0

    init(entry: VirtualAddress, fileByteCount: UInt64, userRange: VirtualPageRange) {
        self.entry = entry
        self.fileByteCount = fileByteCount
        self.userRange = userRange
        imageEnd = userRange.start
    }

    /// Adds a segment already validated on its own, after checking it against the others:
    /// capacity first, then overlap (at page granularity) with every segment admitted before.
    mutating func add(_ segment: LoadSegment) throws(ElfError) {
        let index = segment.programHeaderIndex
        guard !segments.isFull else { throw .tooManyLoadSegments(programHeader: index) }
        for other in segments where other.pages.overlaps(segment.pages) {
            throw .overlappingSegments(programHeader: index)
        }
        segments.insertSorted(segment)
        totalPageCount += segment.pages.pageCount
        if segment.pages.end > imageEnd { imageEnd = segment.pages.end }
    }

    mutating func countSkippedEmptySegment() { skippedEmptySegmentCount += 1 }

    /// The segment whose bytes [virtualAddress, virtualAddress + memsz) contain `address`, if any
    /// (segments are disjoint, so there is at most one).
    public func segment(containing address: VirtualAddress) -> LoadSegment? {
        for segment in segments where segment.containsByte(address) { return segment }
        return nil
    }

    /// The last check on a complete plan: at least one segment, and the entry point in an
    /// executable one.
    func checkComplete() throws(ElfError) {
        guard !segments.isEmpty else { throw .noLoadSegments }
        guard let home = segment(containing: entry) else { throw .entryOutsideSegments }
        guard home.permissions.contains(.executable) else { throw .entryNotExecutable }
    }
}

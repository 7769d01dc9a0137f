// The plan's invariants, checked one by one (the same equations as in ProgramLoader.swift).
// Tests call this on every plan `parseExecutable` returns, including on fuzzed files; the kernel
// may call it before loading as a cheap second opinion (O(segments)).

import MemoryCore

/// The first broken invariant of a LoadPlan. `segment` is the position in `plan.segments`.
public enum LoadPlanViolation: Equatable, Sendable {
    /// segmentCount is 0 (a plan always has a segment) or above the capacity.
    case segmentCountOutOfRange
    /// memoryByteCount == 0.
    case emptySegment(segment: Int)
    /// fileByteCount > memoryByteCount.
    case fileBytesExceedMemory(segment: Int)
    /// pages != [alignDown(virtualAddress), alignUp(virtualAddress + memoryByteCount)).
    case pagesMisrounded(segment: Int)
    /// pages not inside userRange.
    case outsideUserRange(segment: Int)
    /// fileOffset + fileByteCount wraps or passes fileByteCount.
    case copyOutsideFile(segment: Int)
    /// virtualAddress ≢ fileOffset (mod 4 KiB).
    case notCongruent(segment: Int)
    /// Permissions lack R, have bits outside R|W|X, or have both W and X.
    case badPermissions(segment: Int)
    /// This segment does not start at or after the previous one's pages end (unsorted or overlapping).
    case unsortedOrOverlapping(segment: Int)
    /// The entry point is in no segment, or in one without X.
    case entryNotExecutable
    /// imageEnd != max(pages.end).
    case imageEndMismatch
    /// totalPageCount != Σ pages.pageCount.
    case pageCountMismatch

    public var name: StaticString {
        switch self {
        case .segmentCountOutOfRange: "segment-count-out-of-range"
        case .emptySegment: "empty-segment"
        case .fileBytesExceedMemory: "file-bytes-exceed-memory"
        case .pagesMisrounded: "pages-misrounded"
        case .outsideUserRange: "outside-user-range"
        case .copyOutsideFile: "copy-outside-file"
        case .notCongruent: "not-congruent"
        case .badPermissions: "bad-permissions"
        case .unsortedOrOverlapping: "unsorted-or-overlapping"
        case .entryNotExecutable: "entry-not-executable"
        case .imageEndMismatch: "image-end-mismatch"
        case .pageCountMismatch: "page-count-mismatch"
        }
    }
}

extension LoadPlan {
    /// The first invariant the plan breaks, or nil when it satisfies all of them.
    public func checkInvariants() -> LoadPlanViolation? {
        guard segments.count >= 1 && segments.count <= Self.segmentCapacity else { return .segmentCountOutOfRange }
        for position in segments.indices {
            if let violation = checkSegment(at: position) { return violation }
        }
        guard let home = segment(containing: entry), home.permissions.contains(.executable) else {
            return .entryNotExecutable
        }
        return checkTotals()
    }

    /// The invariants of segments[position] alone and against its predecessor.
    private func checkSegment(at position: Int) -> LoadPlanViolation? {
        let s = segments[position]
        guard s.memoryByteCount > 0 else { return .emptySegment(segment: position) }
        guard s.fileByteCount <= s.memoryByteCount else { return .fileBytesExceedMemory(segment: position) }
        guard VirtualPageRange.covering(s.virtualAddress, byteCount: s.memoryByteCount) == s.pages else {
            return .pagesMisrounded(segment: position)
        }
        guard userRange.contains(s.pages) else { return .outsideUserRange(segment: position) }
        guard ElfFileBytes.range(offset: s.fileOffset, length: s.fileByteCount, fitsIn: fileByteCount) else {
            return .copyOutsideFile(segment: position)
        }
        guard (s.virtualAddress.raw ^ s.fileOffset) & (frameSize - 1) == 0 else { return .notCongruent(segment: position) }
        let rights = s.permissions
        guard SegmentPermissions.defined.isSuperset(of: rights), rights.contains(.readable),
            !rights.contains([.writable, .executable])
        else { return .badPermissions(segment: position) }
        if position > 0 && segments[position - 1].pages.end > s.pages.start {
            return .unsortedOrOverlapping(segment: position)
        }
        return nil
    }

    /// imageEnd and totalPageCount against the segments.
    private func checkTotals() -> LoadPlanViolation? {
        var end = userRange.start
        var pages: UInt64 = 0
        for s in segments {
            end = max(end, s.pages.end)
            pages += s.pages.pageCount
        }
        guard end == imageEnd else { return .imageEndMismatch }
        guard pages == totalPageCount else { return .pageCountMismatch }
        return nil
    }
}

// The regions of one address space: sorted by start, never overlapping, adjacent regions with the
// same flags, kind and charge merged (so reserving then protecting page by page stays a short
// list; object regions only when their page offsets run on: Region.canMerge). Lookups are binary searches; changes cost O(regions).
import MemoryCore
import PageTables

public struct RegionMap: Sendable {
    public private(set) var regions: [Region] = []

    public init() {}

    /// The index of the first region whose end is above `address` (it may start above it too).
    func firstIndex(endingAbove address: VirtualAddress) -> Int {
        var low = 0, high = regions.count
        while low < high {
            let middle = (low + high) / 2
            if regions[middle].end <= address { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The region holding `address`, if any.
    public func region(containing address: VirtualAddress) -> Region? {
        let index = firstIndex(endingAbove: address)
        guard index < regions.count, regions[index].contains(address) else { return nil }
        return regions[index]
    }

    /// The regions overlapping [start, end), clipped to it, in order.
    public func pieces(from start: VirtualAddress, to end: VirtualAddress) -> [Region] {
        var result: [Region] = []
        var index = firstIndex(endingAbove: start)
        while index < regions.count, regions[index].start < end {
            result.append(regions[index].clipped(from: start, to: end))
            index += 1
        }
        return result
    }

    public func overlaps(from start: VirtualAddress, to end: VirtualAddress) -> Bool {
        let index = firstIndex(endingAbove: start)
        return index < regions.count && regions[index].start < end
    }

    /// True when every page of [start, end) is in some region.
    public func covers(from start: VirtualAddress, to end: VirtualAddress) -> Bool {
        var cursor = start
        for piece in pieces(from: start, to: end) {
            guard piece.start == cursor else { return false }
            cursor = piece.end
        }
        return cursor >= end
    }

    /// Pages of [start, end) in charged regions.
    public func chargedPages(from start: VirtualAddress, to end: VirtualAddress) -> UInt64 {
        pieces(from: start, to: end).reduce(0) { $0 + $1.chargedPages }
    }

    public var chargedPages: UInt64 { regions.reduce(0) { $0 + $1.chargedPages } }

    // MARK: - Changes

    /// Adds a region over free pages. Precondition: it overlaps no region.
    public mutating func insert(_ region: Region) {
        precondition(region.pageCount > 0 && !overlaps(from: region.start, to: region.end), "region overlaps")
        let index = firstIndex(endingAbove: region.start)
        regions.insert(region, at: index)
        mergeAround(index)
    }

    /// Removes [start, end) from every region (splitting those that straddle an end) and returns
    /// the pieces removed, in order.
    @discardableResult
    public mutating func remove(from start: VirtualAddress, to end: VirtualAddress) -> [Region] {
        let removed = pieces(from: start, to: end)
        guard !removed.isEmpty else { return [] }
        split(at: start)
        split(at: end)
        let first = firstIndex(endingAbove: start)
        regions.removeSubrange(first ..< first + removed.count)
        return removed
    }

    /// Gives every page of [start, end) that lies in a region the result of `change` on its
    /// region (flags, charge), splitting and merging as needed.
    public mutating func update(from start: VirtualAddress, to end: VirtualAddress, _ change: (inout Region) -> Void) {
        split(at: start)
        split(at: end)
        let first = firstIndex(endingAbove: start)
        var index = first
        while index < regions.count, regions[index].start < end {
            change(&regions[index])
            index += 1
        }
        var position = max(first - 1, 0)
        while position + 1 < regions.count, regions[position].start <= end {
            if regions[position].canMerge(with: regions[position + 1]) {
                regions[position].pageCount += regions[position + 1].pageCount
                regions.remove(at: position + 1)
            } else {
                position += 1
            }
        }
    }

    /// Moves the end of the region that ends at `oldEnd` to `newEnd` (brk). Precondition: such a
    /// region exists, and growing it overlaps nothing.
    public mutating func resize(endingAt oldEnd: VirtualAddress, to newEnd: VirtualAddress) {
        let index = firstIndex(endingAbove: VirtualAddress(oldEnd.raw - frameSize))
        precondition(
            index < regions.count && regions[index].end == oldEnd && newEnd > regions[index].start, "no region ends there")
        regions[index].pageCount = (newEnd.raw - regions[index].start.raw) / frameSize
        precondition(index + 1 == regions.count || regions[index].end <= regions[index + 1].start, "region grew over another")
        mergeAround(index)
    }

    /// Removes every region (teardown).
    public mutating func removeAll() { regions.removeAll() }

    /// Makes `address` a boundary: a region that straddles it becomes two.
    mutating func split(at address: VirtualAddress) {
        let index = firstIndex(endingAbove: address)
        guard index < regions.count, regions[index].start < address else { return }
        let upper = regions[index].clipped(from: address, to: regions[index].end)
        regions[index].pageCount = (address.raw - regions[index].start.raw) / frameSize
        regions.insert(upper, at: index + 1)
    }

    /// Merges region `index` with its neighbours where they can be one.
    mutating func mergeAround(_ index: Int) {
        guard index >= 0, index < regions.count else { return }
        var at = index
        if at + 1 < regions.count, regions[at].canMerge(with: regions[at + 1]) {
            regions[at].pageCount += regions[at + 1].pageCount
            regions.remove(at: at + 1)
        }
        if at > 0, regions[at - 1].canMerge(with: regions[at]) {
            regions[at - 1].pageCount += regions[at].pageCount
            regions.remove(at: at)
            at -= 1
        }
    }

    // MARK: - Room

    /// The lowest start in [from, end), a multiple of `alignmentPages` pages, such that
    /// [start - gap, start + pageCount + gap pages) holds no region and lies in [lower, end) (the
    /// gap is clipped at `lower`); nil when there is none.
    public func firstFreeRange(
        pageCount: UInt64, alignmentPages: UInt64, from: VirtualAddress, lower: VirtualAddress,
        end: VirtualAddress, gapPages: UInt64
    ) -> VirtualAddress? {
        guard pageCount > 0 else { return nil }
        let alignment = alignmentPages * frameSize
        let (needed, overflow) = (pageCount + gapPages).multipliedReportingOverflow(by: frameSize)
        guard !overflow, needed <= end.raw else { return nil }
        var candidate = from.raw
        var index = firstIndex(endingAbove: VirtualAddress(from.raw - min(gapPages * frameSize, from.raw - lower.raw)))
        while true {
            guard let aligned = alignUp(candidate, to: alignment), aligned <= end.raw - needed else { return nil }
            candidate = aligned
            let guardStart = candidate - min(gapPages * frameSize, candidate - lower.raw)
            while index < regions.count, regions[index].end.raw <= guardStart { index += 1 }
            guard index < regions.count, regions[index].start.raw < candidate + needed else { return VirtualAddress(candidate) }
            candidate = regions[index].end.raw + gapPages * frameSize
        }
    }

    // MARK: - Page-table charge

    /// The page-table frames below the root that backing every page of every region could need:
    /// one per distinct 2 MiB span (a PT), 1 GiB span (a PD) and 512 GiB span (a PDPT) touched.
    public var tableFramesNeeded: UInt64 {
        var total: UInt64 = 0
        for shift: UInt64 in [21, 30, 39] {
            var last: UInt64? = nil
            for region in regions {
                var first = region.start.raw >> shift
                let final = (region.end.raw - 1) >> shift
                if let last, first <= last { first = last + 1 }
                if first <= final { total += final - first + 1 }
                last = max(last ?? 0, final)
            }
        }
        return total
    }
}

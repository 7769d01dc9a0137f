// The user address layout and the placement rules: the ONE place that says where things go in a
// user address space. PageTables' UserSpace gives the range [start, end) (PML4 slots 1..254);
// this file adds everything the ABI places inside it (docs/syscalls.md, "Address layout").
//
//   imageBase      0x0000_0080_0040_0000  where programs are linked (User/user.ld)
//   break          from the first page after the image, at most breakLimitBytes
//   map area       [mapAreaStart, mapAreaEnd): unhinted maps, next fit from the end of the last
//                  one (a search of the page tables, so a hinted mapping cannot block it), then
//                  from the area's start; one unmapped page on each side of each mapping
//   guard gap      [stackGuardGapStart, stackStart): 1 MiB below the stack that nothing may map,
//                  neither `map` nor an ELF segment (Linux's stack_guard_gap)
//   stack          [stackStart, stackEnd), 1 MiB reserved and charged at load, backed on demand
//                  (it "grows" by faults down to stackStart, its limit)
import MemoryCore
import PageTables

extension UserSpace {
    /// Where every program is linked: the first byte of .text.
    public static let imageBase = VirtualAddress(0x0000_0080_0040_0000)
    /// The user stack ends here (exclusive); rsp starts here.
    public static let stackEnd = VirtualAddress(0x0000_7F00_0000_0000)
    /// The stack's limit: 256 KiB (64 pages; four times the old eager stack), reserved and charged
    /// at load, backed on first touch. Charged whole under strict commit, so it is what every
    /// process costs at least: at 1 MiB the default programs' charges no longer fitted the RAM
    /// the kernel states as its minimum (malloc_demo got ENOMEM at MEM=24M).
    public static let stackPages: UInt64 = 64
    public static let stackBytes: UInt64 = stackPages * frameSize
    /// The lowest stack page.
    public static let stackStart = VirtualAddress(stackEnd.raw - stackBytes)
    /// The stack guard gap (Linux's stack_guard_gap): 1 MiB below the stack that nothing may map,
    /// neither `map` (hinted or not) nor an ELF segment, so a frame larger than a page that jumps
    /// the stack's end still lands on an unmapped page and faults (`cause=stack-guard-gap`).
    public static let stackGuardGapBytes: UInt64 = 1 << 20
    public static let stackGuardGapStart = VirtualAddress(stackStart.raw - stackGuardGapBytes)
    /// ELF segments may go anywhere in [start, imageAreaEnd): user space below the stack's guard
    /// gap. A segment on the gap or the stack is refused by the loader with its own reason
    /// (segment-outside-user-space), never with an errno from mapping the stack later.
    public static let imageAreaEnd = stackGuardGapStart
    /// `map` with no hint places mappings in [mapAreaStart, mapAreaEnd).
    public static let mapAreaStart = VirtualAddress(0x0000_1000_0000_0000)
    public static let mapAreaEnd = VirtualAddress(0x0000_7000_0000_0000)
    /// The unmapped pages kept on each side of an unhinted mapping.
    public static let mapGapPages: UInt64 = 1
    /// The break may grow at most this far past its start.
    public static let breakLimitBytes: UInt64 = 1 << 30
    /// The longest single write.
    public static let maximumWrite: UInt64 = 4096
    public static let pageBytes: UInt64 = frameSize
    /// An address the kernel owns (identity-mapped kernel image, supervisor-only).
    public static let kernelAddress = VirtualAddress(0x10_0000)

    @inlinable public static func contains(_ address: VirtualAddress) -> Bool { start <= address && address < end }

    /// Why a fault at an address no region covers is refused: outside user space, in the stack's
    /// guard gap, or simply not reserved.
    public static func unreservedFaultCause(_ address: VirtualAddress) -> FaultRefusal {
        if !contains(address) { return .kernelMemory }
        if stackGuardGapStart <= address && address < stackStart { return .stackGuardGap }
        return .notMapped
    }

    /// Bytes rounded up to whole pages; nil when that overflows.
    @inlinable public static func pageRounded(_ bytes: UInt64) -> UInt64? { alignUp(bytes, to: pageBytes) }
}

/// The placement rules, applied to one process's memory.
extension ProcessMemory {
    /// Where an unhinted map of `pageCount` pages goes: the first free range (with mapGapPages
    /// unreserved on each side), aligned to `alignmentPages`, at or after mapNext, else from the start
    /// of the map area; nil when the area has no such room. The regions are the record searched, so
    /// a hinted mapping placed where unhinted ones go only makes the search step past it.
    func unhintedPlacement(pageCount: UInt64, alignmentPages: UInt64 = 1) -> VirtualAddress? {
        let lower = UserSpace.mapAreaStart, end = UserSpace.mapAreaEnd
        let from = min(max(mapNext, lower), end)
        let gap = UserSpace.mapGapPages
        return regions.firstFreeRange(
            pageCount: pageCount, alignmentPages: alignmentPages, from: from, lower: lower, end: end, gapPages: gap)
            ?? regions.firstFreeRange(
                pageCount: pageCount, alignmentPages: alignmentPages, from: lower, lower: lower, end: end, gapPages: gap)
    }

    /// Moves the unhinted cursor (where the next search starts) to the end of a mapping just
    /// placed at `start`.
    mutating func advanceUnhintedPlacement(past start: VirtualAddress, pageCount: UInt64) {
        mapNext = VirtualAddress(start.raw + pageCount * frameSize)
    }

    /// The program image with its break ([imageStart, page-rounded break)) and the stack with its
    /// guard gap belong to the loader: map may not place over them, unmap and protect may not
    /// change them (text never becomes writable, the stack never executable).
    func overlapsFixedRegions(_ range: UserRange) -> Bool {
        let imageEnd = alignUp(breakCurrent.raw, to: frameSize)!
        let image = range.start.raw < imageEnd && range.end.raw > imageStart.raw
        let stack = range.start < UserSpace.stackEnd && range.end > UserSpace.stackGuardGapStart
        return image || stack
    }

    /// The range named by a call that changes existing mappings (unmap, protect, remap,
    /// object_from_range): whole pages inside user space, else EINVAL with validateUserRange's
    /// reason; clear of the image, break, stack and guard gap, else EINVAL `imageOrStack`. The one
    /// place that decides both, so every such call refuses the same ranges the same way.
    func changeableRange(address: UInt64, length: UInt64) throws(Rejection) -> UserRange {
        let range: UserRange
        do throws(UserRangeError) {
            range = try validateUserRange(address: address, length: length, alignment: .pageAlignedAddress)
        } catch {
            throw Rejection(.invalidArgument, RejectionReason(error))
        }
        guard !overlapsFixedRegions(range) else { throw Rejection(.invalidArgument, .imageOrStack) }
        return range
    }
}

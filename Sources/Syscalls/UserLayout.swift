// The user address layout and the placement rules: the ONE place that says where things go in a
// user address space. PageTables' UserSpace gives the range [start, end) (PML4 slots 1..254);
// this file adds everything the ABI places inside it (docs/syscalls.md, "Address layout").
//
//   imageBase      0x0000_0080_0040_0000  where programs are linked (User/user.ld)
//   break          from the first page after the image, at most breakLimitBytes
//   map area       [mapAreaStart, mapAreaEnd): unhinted maps, upwards, never reusing an address,
//                  one unmapped page after each mapping
//   guard page     one unmapped page below the stack
//   stack          [stackStart, stackEnd), 64 KiB
import MemoryCore
import PageTables

extension UserSpace {
    /// Where every program is linked: the first byte of .text.
    public static let imageBase = VirtualAddress(0x0000_0080_0040_0000)
    /// The user stack ends here (exclusive); rsp starts here.
    public static let stackEnd = VirtualAddress(0x0000_7F00_0000_0000)
    public static let stackPages: UInt64 = 16
    public static let stackBytes: UInt64 = stackPages * frameSize
    /// The lowest stack page.
    public static let stackStart = VirtualAddress(stackEnd.raw - stackBytes)
    /// The unmapped page right below the stack.
    public static let stackGuardPage = VirtualAddress(stackStart.raw - frameSize)
    /// `map` with no hint places mappings in [mapAreaStart, mapAreaEnd).
    public static let mapAreaStart = VirtualAddress(0x0000_1000_0000_0000)
    public static let mapAreaEnd = VirtualAddress(0x0000_7000_0000_0000)
    /// The unmapped pages left after each unhinted mapping.
    public static let mapGapPages: UInt64 = 1
    /// The break may grow at most this far past its start.
    public static let breakLimitBytes: UInt64 = 1 << 30
    /// The longest single write.
    public static let maximumWrite: UInt64 = 4096
    public static let pageBytes: UInt64 = frameSize
    /// An address the kernel owns (identity-mapped kernel image, supervisor-only).
    public static let kernelAddress = VirtualAddress(0x10_0000)

    @inlinable public static func contains(_ address: VirtualAddress) -> Bool { start <= address && address < end }

    /// Bytes rounded up to whole pages; nil when that overflows.
    @inlinable public static func pageRounded(_ bytes: UInt64) -> UInt64? { alignUp(bytes, to: pageBytes) }
}

/// The placement rules, applied to one process's memory.
extension ProcessMemory {
    /// Where an unhinted map of `pageCount` pages goes, or nil when the map area has no room.
    func unhintedPlacement(pageCount: UInt64) -> VirtualAddress? {
        guard pageCount <= (UserSpace.mapAreaEnd.raw - mapNext.raw) >> frameShift else { return nil }
        return mapNext
    }

    /// Moves the unhinted cursor past a mapping just placed at `start`.
    mutating func advanceUnhintedPlacement(past start: VirtualAddress, pageCount: UInt64) {
        mapNext = VirtualAddress(start.raw + (pageCount + UserSpace.mapGapPages) * frameSize)
    }

    /// The program image with its break ([imageStart, page-rounded break)) and the stack with its
    /// guard page belong to the loader: map may not place over them, unmap and protect may not
    /// change them (text never becomes writable, the stack never executable).
    func overlapsFixedRegions(_ range: UserRange) -> Bool {
        let imageEnd = alignUp(breakCurrent.raw, to: frameSize)!
        let image = range.start.raw < imageEnd && range.end.raw > imageStart.raw
        let stack = range.start < UserSpace.stackEnd && range.end > UserSpace.stackGuardPage
        return image || stack
    }
}

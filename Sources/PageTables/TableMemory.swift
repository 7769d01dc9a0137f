// The only file that forms and dereferences raw pointers: reading, writing and zeroing the 512
// entries of one table frame through the caller's `PhysicalMemoryAccess`.
// The one place entries are stored: where the CPU has no NX, bit 63 is dropped here.
//
// Contract for every function here: `table` is a frame that holds a page table this module owns or
// shares (so `memory.pointer(to:)` returns a pointer valid for all 4096 bytes, 8-byte aligned), and
// `index` is in 0..<512 (checked by `assert` in debug builds; the frame cannot be checked here, the
// accessor may). Not thread-safe: the caller serialises all changes to one address space.

import MemoryCore

extension PhysicalMemoryAccess {
    @inline(__always) @usableFromInline
    func entryPointer(_ table: FrameNumber, _ index: Int) -> UnsafeMutableRawPointer {
        assert(index >= 0 && index < PageTableLevel.entryCount, "page-table index out of range")
        return pointer(to: table.startAddress) + index &* 8
    }

    /// Entry `index` of the table in frame `table`. Contract: see file header.
    @inline(__always) @usableFromInline
    func readEntry(_ table: FrameNumber, _ index: Int) -> PageTableEntry {
        PageTableEntry(rawValue: entryPointer(table, index).load(as: UInt64.self))
    }

    /// Stores `entry` as entry `index` of the table in frame `table`. Contract: see file header.
    /// A single aligned 8-byte store, so the CPU's walker never sees half an entry.
    @inline(__always) @usableFromInline
    func writeEntry(_ table: FrameNumber, _ index: Int, _ entry: PageTableEntry) {
        let raw = noExecuteSupported ? entry.rawValue : entry.rawValue & ~PageFlags.noExecute.rawValue
        entryPointer(table, index).storeBytes(of: raw, as: UInt64.self)
    }

    /// Sets all 512 entries of the frame to not-present. Contract: `table` is a frame just taken from
    /// the frame source and not yet linked (its old contents are arbitrary).
    @usableFromInline
    func zeroTable(_ table: FrameNumber) {
        pointer(to: table.startAddress).initializeMemory(as: UInt64.self, repeating: 0, count: PageTableLevel.entryCount)
    }
}

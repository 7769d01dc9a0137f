// Tearing an address space down: every table in the owned slots goes back to the frame source,
// every leaf is reported so the caller can free the user frames, shared kernel tables are untouched.

import MemoryCore

extension AddressSpace {
    /// Frees every table frame of the owned slots and then the root, reporting each leaf (its page,
    /// first frame and size, in address order) to `releaseLeaf`. Shared entries copied from the
    /// kernel are neither walked nor freed. Returns the number of table frames freed, which equals
    /// `tableFrameCount`. Do not use this value (or any copy of it) afterwards, and do not load its
    /// root into CR3 again.
    @discardableResult
    public consuming func destroy<Source: TableFrameSource>(
        tableFrames: inout Source, releaseLeaf: (VirtualAddress, FrameNumber, PageSize) -> Void
    ) -> Int {
        var freed = 0
        for slot in kind.ownedSlots {
            let entry = memory.readEntry(root, slot)
            guard entry.isPresent else { continue }
            let base = VirtualAddress.canonical(pml4: slot, pdpt: 0, pd: 0, pt: 0)
            freed += destroyTable(entry.frame, level: .pdpt, base: base, tableFrames: &tableFrames, releaseLeaf: releaseLeaf)
            memory.writeEntry(root, slot, .empty)
        }
        tableFrames.freeTableFrame(root)
        return freed + 1
    }

    /// Post-order: reports the leaves of `table` (at `level`, covering from `base`), frees its child
    /// tables, then the table itself. Returns the number of table frames freed.
    private func destroyTable<Source: TableFrameSource>(
        _ table: FrameNumber, level: PageTableLevel, base: VirtualAddress, tableFrames: inout Source,
        releaseLeaf: (VirtualAddress, FrameNumber, PageSize) -> Void
    ) -> Int {
        var freed = 0
        for index in 0 ..< PageTableLevel.entryCount {
            let entry = memory.readEntry(table, index)
            guard entry.isPresent else { continue }
            let address = VirtualAddress(base.raw + UInt64(index) * level.entryCoverage)
            if level == .pt {
                releaseLeaf(address, entry.frame, .size4KiB)
            } else if entry.isHugePage {
                // A 1 GiB leaf (PDPT level) is never created here; `checkInvariants` reports one.
                if level == .pd { releaseLeaf(address, entry.frame, .size2MiB) }
            } else {
                freed += destroyTable(
                    entry.frame, level: level.child!, base: address, tableFrames: &tableFrames, releaseLeaf: releaseLeaf)
            }
        }
        tableFrames.freeTableFrame(table)
        return freed + 1
    }
}

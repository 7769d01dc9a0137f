// Extending the boot identity map to all RAM.
//
// The boot stub maps the first 4 GiB with 2 MiB pages (PML4[0] -> boot PDPT -> 4 directories).
// RAM above 4 GiB (QEMU puts everything past ~3 GiB there when -m is large) must be mapped too,
// or the frame allocator would hand out frames the kernel cannot touch. For each further GiB
// that holds usable RAM, one page directory (4 KiB, from the early bump allocator) maps it with
// 2 MiB pages. PML4[0] covers 512 GiB; RAM beyond that is not mapped and is reported.
//
// Invariant after `extend`: every byte of every usable region below `limit` is identity-mapped,
// supervisor-only, writable.
import MemoryCore
import KernelLog

@_extern(c, "boot_pdpt") nonisolated(unsafe) var bootPDPT: UInt64

enum DirectMap {
    /// PML4[0] covers [0, 512 GiB).
    static let limit = PhysicalAddress(512 * GiB)
    /// The boot stub maps [0, 4 GiB).
    static let bootMappedEnd = PhysicalAddress(4 * GiB)

    private static let present: UInt64 = 1 << 0, writable: UInt64 = 1 << 1, huge: UInt64 = 1 << 7

    /// Maps every GiB in [4 GiB, min(end, 512 GiB)) that `needsMapping` says holds RAM, taking
    /// each page directory from `allocateTable` (a zeroed-on-return 4 KiB frame). Returns the
    /// number of page directories added, or nil when a table could not be had.
    static func extend(through end: PhysicalAddress, needsMapping: (PhysicalRange) -> Bool,
                       allocateTable: () -> PhysicalAddress?) -> Int? {
        var added = 0
        var gib = bootMappedEnd.raw / GiB
        let lastGib = (min(end, limit).raw + GiB - 1) / GiB
        while gib < lastGib {
            let window = PhysicalRange(start: PhysicalAddress(gib * GiB), end: PhysicalAddress((gib + 1) * GiB))
            if needsMapping(window) {
                guard let table = allocateTable() else { return nil }
                fillDirectory(at: table, mapping: window.start)
                withUnsafeMutablePointer(to: &bootPDPT) { $0[Int(gib)] = table.raw | present | writable }
                added += 1
            }
            gib += 1
        }
        cpu_write_cr3(cpu_read_cr3())  // flush: the new entries were not present before
        return added
    }

    /// Fills the page directory at `table` with 512 2 MiB pages covering [base, base + 1 GiB).
    private static func fillDirectory(at table: PhysicalAddress, mapping base: PhysicalAddress) {
        let entries = physicalPointer(table).bindMemory(to: UInt64.self, capacity: 512)
        for index in 0..<512 {
            entries[index] = (base.raw + UInt64(index) * 2 * MiB) | present | writable | huge
        }
    }
}

// sparse_touch: reserves 1 GiB of address space (far more than RAM at MEM=32M) read-only, which
// strict commit charges only for its page tables; reads 300 scattered pages (each reads zero: the
// shared zero frame, no private frame), then makes 300 other scattered pages read-write (each
// `protect` commits its page) and writes them (each write faults in one zeroed frame). Resident
// memory grows by the 300 written pages only, committed memory by those pages and the tables.
// Everything comes back at unmap. Exit: 0; a refused call 1; a page not reading zero 2; a written
// page losing its pattern 3; resident or committed figures out of bounds 4.
// Expected: exit=0.
import KernelLog
import MemoryCore

let reservedBytes: UInt64 = 1 << 30
let touched = 300
let pageCount = reservedBytes / UserSpace.pageBytes

/// The i-th scattered page: i * 104729 mod 2^18 is a bijection on the 2^18 pages (104729 is odd).
func scatteredPage(_ region: VirtualAddress, _ index: Int) -> VirtualAddress {
    VirtualAddress(region.raw + (UInt64(index) &* 104_729 &+ 13) % pageCount * UserSpace.pageBytes)
}

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let before = try? Syscall.memstat(),
        let region = try? Syscall.map(length: reservedBytes, protection: .read)
    else { return 1 }
    guard let reserved = try? Syscall.memstat() else { return 1 }
    for index in 0 ..< touched where scatteredPage(region, index).adding(123)!.loadByteOpaque() != 0 { return 2 }
    for index in touched ..< 2 * touched {
        let page = scatteredPage(region, index)
        guard (try? Syscall.protect(address: page, length: UserSpace.pageBytes, protection: .readWrite)) != nil else { return 1 }
        page.adding(UInt64(index) % 4000)!.storeByte(UInt8(truncatingIfNeeded: index) | 1)
    }
    for index in touched ..< 2 * touched {
        let page = scatteredPage(region, index)
        guard page.adding(UInt64(index) % 4000)!.loadByteOpaque() == UInt8(truncatingIfNeeded: index) | 1 else { return 3 }
    }
    guard let touchedStats = try? Syscall.memstat() else { return 1 }
    let residentGrowth = touchedStats.residentPages &- before.residentPages
    let committedGrowth = touchedStats.committedPages &- before.committedPages
    Console.line("sparse_touch").word("touched").dec("reserved_pages", pageCount).dec("read_pages", UInt64(touched))
        .dec("written_pages", UInt64(touched)).dec("resident_growth", residentGrowth)
        .dec("committed_at_reserve", reserved.committedPages &- before.committedPages).dec("committed_growth", committedGrowth)
        .dec("page_table_pages", touchedStats.pageTablePages).dec("zero_fill_faults", touchedStats.zeroFillFaults)
        .dec("commit_limit", touchedStats.commitLimitSystem).dec("committed_system", touchedStats.committedSystem).end()
    // The written pages and a little slack (stack and data pages this run touched for the first time).
    guard residentGrowth >= UInt64(touched), residentGrowth <= UInt64(touched) + 16,
        committedGrowth >= UInt64(touched), committedGrowth < pageCount / 64
    else { return 4 }
    guard (try? Syscall.unmap(address: region, length: reservedBytes)) != nil, let after = try? Syscall.memstat() else {
        return 1
    }
    guard after.committedPages == before.committedPages, after.residentPages <= before.residentPages + 16 else { return 4 }
    Console.line("sparse_touch").word("ok").dec("committed_after_unmap", after.committedPages).end()
    return 0
}

// commit_brk_hog (memory-hungry): grows the program break 1 MiB at a time, writing every new
// page, until the kernel refuses to move it (strict commit: the system's limit, the process
// quota or the 1 GiB break limit; a commit refusal logs a `vm oom` line). The written pages must
// keep their bytes; then the break goes back to its start and every page is given back.
// Exit: 0; the break never refused 1; a page that lost its pattern 2; committed pages not back 3.
// Expected: exit=0.
import KernelLog
import MemoryCore

let stepBytes: UInt64 = 1 << 20

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let before = try? Syscall.memstat() else { return 3 }
    let start = Syscall.currentBreak()
    var end = start
    while true {
        let next = VirtualAddress(end.raw + stepBytes)
        guard Syscall.brk(next) == next else { break }
        var page = end.raw
        while page < next.raw {
            VirtualAddress(page).storeByte(UInt8(truncatingIfNeeded: page >> 12) | 1)
            page += UserSpace.pageBytes
        }
        end = next
        if end.raw - start.raw >= 1 << 30 { return 1 }
    }
    let stats = try? Syscall.memstat()
    Console.line("commit_brk_hog").word("refused").dec("mib", (end.raw - start.raw) >> 20)
        .dec("committed", stats?.committedPages ?? 0).dec("resident", stats?.residentPages ?? 0)
        .dec("commit_limit", stats?.commitLimitSystem ?? 0).dec("committed_system", stats?.committedSystem ?? 0).end()
    var page = start.raw
    while page < end.raw {
        guard VirtualAddress(page).loadByteOpaque() == UInt8(truncatingIfNeeded: page >> 12) | 1 else { return 2 }
        page += UserSpace.pageBytes
    }
    guard Syscall.brk(start) == start, let after = try? Syscall.memstat(), after.committedPages == before.committedPages else {
        return 3
    }
    Console.line("commit_brk_hog").word("ok").end()
    return 0
}

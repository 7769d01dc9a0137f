// no_unmap: maps 4 MiB, touches every page, grows the break by 256 KiB and touches that too, then
// exits 0 without giving anything back. The kernel must reclaim every frame at exit (its test
// compares the system's free frames before and after the run). A failed map exits 1, a refused
// brk 2, memstat not seeing the pages 3.
// Expected: exit=0.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    let length = 4 * MiB
    let breakGrowth = 256 * KiB
    guard let region = try? Syscall.map(length: length, protection: .readWrite) else { return 1 }
    touchPages(region, length: length)
    let start = Syscall.currentBreak()
    guard (try? Syscall.setBreak(VirtualAddress(start.raw + breakGrowth))) != nil else { return 2 }
    touchPages(start, length: breakGrowth)
    guard let stats = try? Syscall.memstat(),
        stats.pagesMapped >= (length + breakGrowth) / UserSpace.pageBytes
    else { return 3 }
    Console.line("no_unmap").word("leaving").hex("region", region.raw).dec("pages_mapped", stats.pagesMapped)
        .dec("free_frames_system", stats.freeFramesSystem).end()
    return 0
}

/// Writes one byte in every page so each is backed by a frame even under lazy allocation.
func touchPages(_ start: VirtualAddress, length: UInt64) {
    var offset: UInt64 = 0
    while offset < length {
        start.adding(offset)!.storeByte(0x5A)
        offset += UserSpace.pageBytes
    }
}

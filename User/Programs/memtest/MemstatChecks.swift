// memstat: the baseline snapshot's own consistency, and that counters move by exactly the calls made.
import MemoryCore

enum MemstatChecks {
    static func baseline(_ check: inout Checker) -> MemoryStatistics {
        check.group("memstat baseline")
        let stats = check.requireSuccess("memstat succeeds") { () throws(Errno) in try Syscall.memstat() }
        check.require(
            stats.pagesMapped > 0 && stats.pagesMapped <= stats.peakPagesMapped,
            "memstat 0 < pages_mapped <= peak")
        check.require(
            stats.breakStart <= stats.breakCurrent
                && VirtualAddress(stats.breakStart).isAligned(to: UserSpace.pageBytes)
                && stats.breakStart > UserSpace.imageBase.raw,
            "memstat break_start page-aligned, above the image, <= break_current")
        check.require(stats.freeFramesSystem > 0, "memstat free_frames_system > 0")
        return stats
    }

    /// One map and one unmap move map_calls and unmap_calls by one each, pages_mapped up and back.
    /// (free_frames_system is the whole machine's: other processes run at the same time and move it
    /// between two memstat calls, so it proves nothing about this process's frames; the kernel
    /// checks those itself at the process's end, `proc end ... frames=all-returned`.)
    static func counters(_ check: inout Checker) {
        let length: UInt64 = 1 * MiB
        let pages = length / UserSpace.pageBytes
        check.group("memstat counters over map and unmap of 1 MiB")
        let before = check.requireSuccess("memstat before") { () throws(Errno) in try Syscall.memstat() }
        let address = check.requireSuccess("map 1 MiB") { () throws(Errno) in
            try Syscall.map(length: length, protection: .readWrite)
        }
        MemoryProbe.fill(address, byteCount: length, seed: 7)
        let during = check.requireSuccess("memstat during") { () throws(Errno) in try Syscall.memstat() }
        check.require(during.mapCalls == before.mapCalls + 1, "memstat map_calls + 1")
        check.require(during.pagesMapped == before.pagesMapped + pages, "memstat pages_mapped + 256")
        check.require(during.peakPagesMapped >= during.pagesMapped, "memstat peak >= pages_mapped")
        check.requireSuccess("unmap 1 MiB") { () throws(Errno) in try Syscall.unmap(address: address, length: length) }
        let after = check.requireSuccess("memstat after") { () throws(Errno) in try Syscall.memstat() }
        check.require(
            after.unmapCalls == before.unmapCalls + 1 && after.mapCalls == during.mapCalls,
            "memstat unmap_calls + 1")
        check.require(after.pagesMapped == before.pagesMapped, "memstat pages_mapped restored")
    }
}

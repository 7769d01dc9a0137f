// The kernel's half of demand paging and strict commit (the rules are Syscalls'): the one shared
// zero frame, the system's commit ledger, the per-process quota, and the count of page faults
// resolved. Set up once at boot, before `frames_free_boot` is taken (the zero frame is never
// freed, so it is not part of the frames the summary expects back).
//
// The commit limit is the frames free at that point less the kernel's reserve
// (SystemCommit.limit: one frame in 16, at least 1 MiB): the kernel heap, the boot demos and
// every process's root table come from the reserve, so no user load can starve the kernel, and a
// charged page always finds its frame.
import KernelLog
import MemoryCore
import PhysicalMemory
import Syscalls

enum UserCommit {
    nonisolated(unsafe) static var ledger = SystemCommit(limitPages: 0)
    nonisolated(unsafe) static var sharedZeroFrame = FrameNumber(0)
    nonisolated(unsafe) static var quotaPages = SystemCommit.defaultQuotaPages
    /// Demand faults resolved since boot, every process (the summary's `page_faults=`).
    nonisolated(unsafe) static var pageFaultsResolved: UInt64 = 0

    static func setUp(quotaMiB: UInt64) {
        guard let frame = try? KernelMemory.frames.allocate() else { panic("no frame for the shared zero frame") }
        zeroFrame(frame)
        FrameTrace.allocated(frame, count: 1, owner: .user)
        sharedZeroFrame = frame
        quotaPages = quotaMiB * (1 << 20) / frameSize
        let free = KernelMemory.frames.statistics.freeFrames
        ledger = SystemCommit(limitPages: SystemCommit.limit(freeFrames: free))
        log.line(.info, "vm", "commit").dec("limit_pages", ledger.limitPages).dec("reserve_pages", free - ledger.limitPages)
            .dec("quota_pages", quotaPages).address("zero_frame", frame.startAddress.raw).end()
    }
}

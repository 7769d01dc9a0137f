// The kernel's half of demand paging and strict commit (the rules are Syscalls'): the one shared
// zero frame, the system's commit ledger, the per-process quota, and the count of page faults
// resolved. The zero frame is taken at boot, before `frames_free_boot` (it is never freed, so it
// is not part of the frames the summary expects back).
//
// The commit limit is fixed when the first process is created (the kernel heap, the boot demos
// and the self-tests have settled by then): the frames free at that moment less the kernel's
// reserve (SystemCommit.limit: one frame in 16, at least 2 MiB). The kernel heap's growth and
// every process's root table and kernel objects come from the reserve, so no user load can
// starve the kernel, and a charged page finds its frame.
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

    nonisolated(unsafe) static var limitIsFixed = false

    /// At boot: the zero frame and the quota.
    static func setUp(quotaMiB: UInt64) {
        guard let frame = try? KernelMemory.frames.allocate() else { panic("no frame for the shared zero frame") }
        zeroFrame(frame)
        FrameTrace.allocated(frame, count: 1, owner: .user)
        sharedZeroFrame = frame
        quotaPages = quotaMiB * (1 << 20) / frameSize
    }

    /// Before the first process is created (later calls do nothing): fixes the commit limit.
    static func fixLimit() {
        guard !limitIsFixed else { return }
        limitIsFixed = true
        let free = KernelMemory.frames.statistics.freeFrames
        ledger = SystemCommit(limitPages: SystemCommit.limit(freeFrames: free))
        log.line(.info, "vm", "commit").dec("limit_pages", ledger.limitPages).dec("reserve_pages", free - ledger.limitPages)
            .dec("quota_pages", quotaPages).address("zero_frame", sharedZeroFrame.startAddress.raw).end()
    }
}

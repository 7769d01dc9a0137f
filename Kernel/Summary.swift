// The one `summary ` line printed before power-off: what the Makefile and CI check.
//   result=pass|fail            every check the kernel made passed
//   frames_total=               usable frames the frame allocator manages
//   frames_free_boot=           free frames after boot, before the demo or tests
//   frames_free_exit=           free frames now (equal to frames_free_boot: nothing leaked)
//   heap_live_bytes=            bytes in live heap blocks now
//   heap_peak_bytes=            most bytes ever live in the heap
//   heap_arenas=                arenas the heap still holds (0 after the shutdown trim)
//   heap_errors=                bad frees and use-after-free writes the heap detected
//   heap_errors_expected=       how many of those the demo provoked on purpose
//   processes=                  user programs started (one per multiboot module)
//   processes_killed=           of those, killed for a fault
//   page_faults=                user page faults resolved by demand paging (every process)
//   processes_concurrent_peak=  most processes alive at once (the scheduler's table)
//   stack_peak_bytes=           deepest use of the boot stack (256 KiB, its lowest page a guard)
//   shared_frames_peak=         most frames mapped in two or more address spaces at once (memory
//                               objects; counted exactly per frame: Kernel/Objects/SharedFrames.swift)
//   cow_copies=                 copy-on-write page copies made (every process, every object)
//   t_us=                       microseconds since boot (last, so `^summary result=` still matches)
import Scheduling
import KernelLog
import PhysicalMemory
import BuddyHeap

enum Summary {
    /// Prints the line and returns the overall result.
    static func print(passed: Bool, expectedHeapErrors: Int) -> Bool {
        let frames = KernelMemory.frames.statistics
        let heap = (KernelHeap.isReady ? KernelHeap.statistics : nil)
        let heapErrors = heap?.errorsDetected ?? 0
        let frameBalance = frames.freeFrames == KernelMemory.freeFramesAtBoot
        let result =
            passed && frameBalance && heapErrors == expectedHeapErrors && Processes.leaks == 0 && Objects.leaks == 0
        InvariantChecks.report()
        let line = log.bare("summary").text("result", result ? "pass" : "fail")
            .dec("frames_total", frames.totalFrames).dec("frames_free_boot", KernelMemory.freeFramesAtBoot)
            .dec("frames_free_exit", frames.freeFrames).dec("frames_reserved", frames.reservedFrames)
            .dec("heap_live_bytes", UInt64((heap?.liveBlockBytes ?? 0) + (heap?.liveLargeBytes ?? 0)))
            .dec("heap_peak_bytes", UInt64(heap?.peakLiveBytes ?? 0)).dec("heap_arenas", UInt64(heap?.arenasHeld ?? 0))
            .dec("heap_errors", UInt64(heapErrors)).dec("heap_errors_expected", UInt64(expectedHeapErrors))
            .dec("processes", UInt64(Processes.started)).dec("processes_killed", UInt64(Processes.killed))
            .dec("page_faults", UserCommit.pageFaultsResolved)
            .dec("processes_concurrent_peak", UInt64(Scheduler.table.peakAlive))
            .dec("stack_peak_bytes", StackUsage.peakBytes(of: KernelAddressSpace.usableStack(BootImageLayout.current())))
            .dec("shared_frames_peak", Objects.sharedFrames.peak).dec("cow_copies", Objects.cowCopies)
        log.timeField(line).end()
        return result
    }
}

// Does this machine have enough RAM for the kernel? Checked once, right after the frame allocator
// and the (still empty) kernel heap exist and before anything allocates, so a machine that is too
// small gets one line saying how much memory is needed and how much there is, and the fail code,
// instead of an allocation failure deep in the Swift runtime.
//
// What the kernel needs beyond what boot already reserved (the first MiB, image, stacks, modules):
//   - the kernel heap's first arena: `arenaFrames` frames, naturally aligned (BuddyHeap arenas),
//     so one aligned slot of RAM above the reserved low memory must be wholly usable;
//   - then, one after the other (each gives everything back before the next): the frame demo
//     (FrameDemo: up to 1000 single frames, a 2 MiB-aligned run of 512) and the user programs,
//     which all run at once (`programReserveFrames`: the default programs' peaks added up, each
//     with its page tables and its 16-frame kernel stack: 3 106 frames measured at 128M, memtest
//     1 055 pages, sh6bench 642, malloc_demo 486, larson 269, ladder 126, the others ~23 each,
//     spawn_wait's three children included), raised to what strict commit charges them: their
//     commit charges add up to ~3 920 pages (stack and break reserved whole, page tables
//     included) against a commit limit that keeps a 512-page kernel reserve, measured short by
//     ~900 frames at MEM=24M (malloc_demo got ENOMEM); 4 608 leaves ~5 % to spare.
// The heap arena is taken for real here (the first allocation), and the 2 MiB run is probed, so a
// pass means the boot cannot fail for lack of memory before the programs run; a program that then
// runs out gets ENOMEM like on any machine.
import MemoryCore
import KernelLog
import PhysicalMemory
import BuddyHeap
import SlabHeap

enum MemoryRequirement {
    static let demoFrames: UInt64 = 1000 + 512 + 64
    static let programReserveFrames: UInt64 = 4608
    static let runProbeFrames: UInt64 = 512

    static func check() {
        let arenaBytes = UInt64(KernelHeap.arenaBytes)
        let arenaFrames = arenaBytes >> frameShift
        let usableEnd = highestUsableEnd()
        let freeFrames = KernelMemory.frames.statistics.freeFrames
        let neededFrames = arenaFrames + max(demoFrames, programReserveFrames)
        // The RAM size that holds an aligned arena slot above every reservation, plus the rest.
        let slotEnd = alignUp(highestReservedEnd(below: usableEnd), to: arenaBytes)! + arenaBytes
        let topGap = ramEnd(usableEnd) - usableEnd
        // Every frame above what boot reserved is free now: RAM with `neededFrames` more than the
        // reservations ends at usableEnd + (needed - free) frames (negative: there is room to spare).
        let byFrames = UInt64(max(0, Int64(usableEnd) + (Int64(neededFrames) - Int64(freeFrames)) << Int64(frameShift)))
        let neededBytes = alignUp(max(byFrames, slotEnd) + topGap, to: 1 << 20)!
        let arenaTaken = takeFirstArena()
        let runAvailable = arenaTaken && probeRun()
        guard freeFrames >= neededFrames, arenaTaken, runAvailable else {
            log.line(.error, "boot", "not-enough-memory").size("needed", max(neededBytes, ramEnd(usableEnd) + (1 << 20)))
                .size("have", ramEnd(usableEnd)).dec("free_frames", freeFrames).dec("needed_frames", neededFrames)
                .text("missing", !arenaTaken ? "heap-arena" : (!runAvailable ? "aligned-run" : "frames")).end()
            log.bare("summary").text("result", "fail").text("cause", "not-enough-memory").end()
            QEMUExit.exit(passed: false)
        }
        log.line(.info, "boot", "memory-check").size("needed", neededBytes).size("have", ramEnd(usableEnd))
            .dec("free_frames", freeFrames).dec("needed_frames", neededFrames).end()
    }

    /// The heap takes its first arena on its first allocation: make that happen now.
    private static func takeFirstArena() -> Bool {
        guard let probe = KernelHeap.allocate(byteCount: 16, alignment: 16, for: .kernel) else { return false }
        KernelHeap.free(probe, for: .kernel)
        return true
    }

    private static func probeRun() -> Bool {
        guard let first = try? KernelMemory.frames.allocate(count: runProbeFrames, alignment: runProbeFrames) else {
            return false
        }
        try? KernelMemory.frames.free(runStartingAt: first, count: runProbeFrames)
        return true
    }

    private static func highestUsableEnd() -> UInt64 {
        var end: UInt64 = 0
        for index in 0 ..< KernelMemory.map.count where KernelMemory.map[index].kind == .usable {
            end = max(end, min(KernelMemory.map[index].range.end.raw, 1 << 32))
        }
        return end
    }

    private static func highestReservedEnd(below limit: UInt64) -> UInt64 {
        var end: UInt64 = 0
        for index in 0 ..< KernelMemory.reservations.count {
            let range = KernelMemory.reservations[index].range
            if range.end.raw <= limit { end = max(end, range.end.raw) }
        }
        return end
    }

    /// The RAM size (QEMU's -m) behind a usable end: the loader keeps a little at the top.
    private static func ramEnd(_ usableEnd: UInt64) -> UInt64 { alignUp(usableEnd, to: 1 << 20)! }
}

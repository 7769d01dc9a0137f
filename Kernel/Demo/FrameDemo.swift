// The frame allocator demo: real allocations, shown on the serial log, all given back.
//   - single frames: take 1000 (or a quarter of free RAM on small machines), write each one's
//     own frame number into it, read every one back, free them all;
//   - contiguous aligned runs: a 64-frame run aligned to 64 frames and a 2 MiB run aligned to
//     2 MiB (what a huge page or a DMA buffer needs);
//   - a mistake made on purpose: a double free, which the allocator reports as an error value
//     and survives (the demo's policy is "log and carry on").
// Ends with the free-frame count exactly where it started.
import MemoryCore
import KernelLog
import PhysicalMemory

enum FrameDemo {
    /// Returns false when any check failed.
    static func run() -> Bool {
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        var passed = singleFrames(count: min(1000, freeBefore / 4))
        passed = alignedRun(count: 64, alignment: 64) && passed
        passed = alignedRun(count: 512, alignment: 512) && passed
        passed = doubleFreeIsReported() && passed
        let freeAfter = KernelMemory.frames.statistics.freeFrames
        log.line(freeAfter == freeBefore ? .info : .error, "demo", "frames-done")
            .dec("free_before", freeBefore).dec("free_after", freeAfter).end()
        return passed && freeAfter == freeBefore
    }

    /// Allocates `count` frames, chained through their first word (no heap needed to remember
    /// them), checks each holds what was written, then frees them.
    private static func singleFrames(count: UInt64) -> Bool {
        var head: FrameNumber? = nil
        var taken: UInt64 = 0
        let start = CPU.timestamp()
        while taken < count {
            guard let frame = try? KernelMemory.frames.allocate() else { break }
            FrameTrace.allocated(frame, count: 1, owner: .demo)
            FrameContents.stamp(frame, next: head)
            head = frame
            taken += 1
        }
        let allocCycles = CPU.timestamp() &- start  // allocation plus the first writes to the frame
        var intact = true
        var freed: UInt64 = 0
        while let frame = head {
            intact = FrameContents.holdsStamp(frame) && intact
            head = FrameContents.next(after: frame)
            do throws(FrameAllocatorError) {
                try KernelMemory.frames.free(frame)
                FrameTrace.freed(frame, count: 1, owner: .demo)
                freed += 1
            } catch {
                log.line(.error, "pmm", "free-failed").address("frame", frame.startAddress.raw).text("error", error.name).end()
            }
        }
        log.line(intact && freed == count ? .info : .error, "demo", "single-frames")
            .dec("allocated", taken).dec("freed", freed).text("contents", intact ? "intact" : "CORRUPT")
            .dec("tsc_cycles_per_frame", taken == 0 ? 0 : allocCycles / taken).end()
        return intact && taken == count && freed == count
    }

    private static func alignedRun(count: UInt64, alignment: UInt64) -> Bool {
        let first: FrameNumber
        do throws(FrameAllocatorError) {
            first = try KernelMemory.frames.allocate(count: count, alignment: alignment)
            FrameTrace.allocated(first, count: count, owner: .demo)
        } catch {
            log.line(.warn, "demo", "run-unavailable").dec("frames", count).dec("alignment", alignment).text("error", error.name)
                .end()
            return error == .outOfMemory  // a small machine may lack such a run; that is not a bug
        }
        let aligned = first.isAligned(to: alignment)
        for offset in 0 ..< count { FrameContents.stamp(first.advanced(by: Int64(offset)), next: nil) }
        var intact = true
        for offset in 0 ..< count { intact = FrameContents.holdsStamp(first.advanced(by: Int64(offset))) && intact }
        var freed = true
        do throws(FrameAllocatorError) {
            try KernelMemory.frames.free(runStartingAt: first, count: count)
            FrameTrace.freed(first, count: count, owner: .demo)
        } catch {
            freed = false
        }
        log.line(aligned && intact && freed ? .info : .error, "demo", "aligned-run")
            .address("base", first.startAddress.raw).dec("frames", count).size("size", count * frameSize)
            .dec("alignment_frames", alignment).text("aligned", aligned ? "yes" : "NO")
            .text("contents", intact ? "intact" : "CORRUPT").end()
        return aligned && intact && freed
    }

    private static func doubleFreeIsReported() -> Bool {
        guard let frame = try? KernelMemory.frames.allocate() else { return false }
        FrameTrace.allocated(frame, count: 1, owner: .demo)
        try? KernelMemory.frames.free(frame)
        FrameTrace.freed(frame, count: 1, owner: .demo)
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        do throws(FrameAllocatorError) {
            try KernelMemory.frames.free(frame)
            log.line(.error, "demo", "double-free").text("detected", "NO").end()
            return false
        } catch {
            let unchanged = KernelMemory.frames.statistics.freeFrames == freeBefore
            log.line(.info, "demo", "double-free").address("frame", frame.startAddress.raw)
                .text("error", error.name).text("state", unchanged ? "unchanged" : "CHANGED").end()
            return error == .alreadyFree && unchanged
        }
    }
}

/// Writing into frames the kernel owns: the first word holds the next frame of a chain (or
/// all ones), the second the frame's own number, the last word its complement.
enum FrameContents {
    static func stamp(_ frame: FrameNumber, next: FrameNumber?) {
        let words = physicalPointer(frame.startAddress).bindMemory(to: UInt64.self, capacity: 512)
        words[0] = next?.raw ?? UInt64.max
        words[1] = frame.raw
        words[511] = ~frame.raw
    }

    static func holdsStamp(_ frame: FrameNumber) -> Bool {
        let words = physicalPointer(frame.startAddress).bindMemory(to: UInt64.self, capacity: 512)
        return words[1] == frame.raw && words[511] == ~frame.raw
    }

    static func next(after frame: FrameNumber) -> FrameNumber? {
        let word = physicalPointer(frame.startAddress).load(as: UInt64.self)
        return word == UInt64.max ? nil : FrameNumber(word)
    }
}

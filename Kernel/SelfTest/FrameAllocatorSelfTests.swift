// In-kernel tests of the frame allocator on the real memory map: across all of memory, frames
// are writable, reserved ranges are never returned, errors are values, counts return to start.
import MemoryCore
import PhysicalMemory

enum FrameAllocatorSelfTests {
    static func run(_ runner: inout SelfTestRunner) {
        runner.run("frames.allocate_every_frame_then_free_all", allocateEverything)
        runner.run("frames.aligned_contiguous_runs", alignedRuns)
        runner.run("frames.errors_are_values_and_change_nothing", errorsChangeNothing)
        runner.run("frames.invariants_hold", invariantsHold)
    }

    /// Takes every free frame (chained through the frames themselves), checks each one is
    /// writable, outside every reservation and the kernel image, then frees them all.
    private static func allocateEverything(_ t: inout TestContext) {
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        var head: FrameNumber? = nil
        var taken: UInt64 = 0
        var inReserved: UInt64 = 0
        while let frame = try? KernelMemory.frames.allocate() {
            if overlapsReservation(frame) { inReserved += 1 }
            FrameContents.stamp(frame, next: head)
            head = frame
            taken += 1
        }
        t.expectEqual(taken, freeBefore, "every free frame could be allocated")
        t.expectEqual(KernelMemory.frames.statistics.freeFrames, 0, "no free frame left")
        t.expectEqual(inReserved, 0, "frames handed out inside a reservation")
        var corrupt: UInt64 = 0
        while let frame = head {
            if !FrameContents.holdsStamp(frame) { corrupt += 1 }
            head = FrameContents.next(after: frame)
            t.expect((try? KernelMemory.frames.free(frame)) != nil, "free of an allocated frame", "frame", frame.raw)
        }
        t.expectEqual(corrupt, 0, "frames whose contents changed while held")
        t.expectEqual(KernelMemory.frames.statistics.freeFrames, freeBefore, "free count back to start")
    }

    private static func overlapsReservation(_ frame: FrameNumber) -> Bool {
        let range = FrameRange(frame, frame.advanced(by: 1)).physicalRange
        for index in 0 ..< KernelMemory.reservations.count where KernelMemory.reservations[index].range.overlaps(range) {
            return true
        }
        return false
    }

    private static func alignedRuns(_ t: inout TestContext) {
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        var alignment: UInt64 = 1
        while alignment <= 512 {
            let count = alignment + alignment / 2  // not a power of two: runs need not be
            do throws(FrameAllocatorError) {
                let first = try KernelMemory.frames.allocate(count: count, alignment: alignment)
                t.expect(first.isAligned(to: alignment), "run aligned", "frame", first.raw)
                for offset in 0 ..< count {
                    t.expect(!KernelMemory.frames.isFree(first.advanced(by: Int64(offset))), "run frames are allocated")
                }
                try KernelMemory.frames.free(runStartingAt: first, count: count)
            } catch {
                t.expect(false, "aligned run allocation and free", "alignment", alignment)
            }
            alignment <<= 1
        }
        t.expectEqual(KernelMemory.frames.statistics.freeFrames, freeBefore, "free count back to start")
    }

    private static func errorsChangeNothing(_ t: inout TestContext) {
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        guard let frame = try? KernelMemory.frames.allocate() else { return t.expect(false, "allocate one frame") }
        _ = try? KernelMemory.frames.free(frame)
        t.expect(
            thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.free(frame) } == .alreadyFree,
            "double free is alreadyFree")
        let kernelFrame = BootImageLayout.current().text.start.containingFrame
        t.expect(
            thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.free(kernelFrame) } == .reserved,
            "kernel image frame is reserved")
        let pastRAM = KernelMemory.frames.span.end.advanced(by: 10)
        t.expect(
            thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.free(pastRAM) } == .notManaged,
            "frame past RAM is not managed")
        if let run = try? KernelMemory.frames.allocate(count: 4, alignment: 4) {
            t.expect(
                thrownError { () throws(FrameAllocatorError) in
                    try KernelMemory.frames.free(runStartingAt: run.advanced(by: 1), count: 2)
                } == .runMismatch, "part of a run")
            t.expect(
                thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.free(runStartingAt: run, count: 2) }
                    == .runMismatch, "run freed short")
            t.expect((try? KernelMemory.frames.free(runStartingAt: run, count: 4)) != nil, "whole run frees")
        } else {
            t.expect(false, "allocate a 4-frame run")
        }
        t.expect(
            thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.allocate(count: 1, alignment: 3) }
                == .invalidAlignment, "alignment 3 rejected")
        t.expect(
            thrownError { () throws(FrameAllocatorError) in try KernelMemory.frames.allocate(count: 0, alignment: 1) }
                == .invalidCount, "count 0 rejected")
        t.expectEqual(KernelMemory.frames.statistics.freeFrames, freeBefore, "free count unchanged by errors")
    }

    private static func invariantsHold(_ t: inout TestContext) {
        t.expect(KernelMemory.frames.checkInvariants() == nil, "frame allocator invariants")
    }

    /// The error an operation threw, or nil when it succeeded.
    private static func thrownError<T>(_ body: () throws(FrameAllocatorError) -> T) -> FrameAllocatorError? {
        do {
            _ = try body()
            return nil
        } catch { return error }
    }
}

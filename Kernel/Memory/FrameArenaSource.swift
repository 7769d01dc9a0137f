// Where the kernel heap's memory comes from: contiguous, naturally aligned runs of frames from
// the frame allocator, used through the identity map. Every arena taken or given back is one
// `debug` log line, so the heap's growth and release can be watched on the serial console.
import MemoryCore
import KernelLog
import PhysicalMemory
import BuddyHeap

struct FrameArenaSource: ArenaSource {
    mutating func allocateArena(byteCount: Int) -> UnsafeMutableRawPointer? {
        let frames = UInt64(byteCount) >> frameShift
        return take(frames: frames, alignment: frames, event: "arena-take", owner: .heap)
    }

    mutating func releaseArena(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        give(base, frames: UInt64(byteCount) >> frameShift, event: "arena-give", owner: .heap)
    }

    mutating func allocateLarge(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        take(
            frames: UInt64(byteCount) >> frameShift, alignment: max(1, UInt64(alignment) >> frameShift), event: "large-take",
            owner: .heapLarge)
    }

    mutating func releaseLarge(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        give(base, frames: UInt64(byteCount) >> frameShift, event: "large-give", owner: .heapLarge)
    }

    private func take(frames: UInt64, alignment: UInt64, event: StaticString, owner: FrameOwner) -> UnsafeMutableRawPointer? {
        do throws(FrameAllocatorError) {
            let first = try KernelMemory.frames.allocate(count: frames, alignment: alignment)
            FrameTrace.allocated(first, count: frames, owner: owner)
            log.line(.debug, "heap", event).address("base", first.startAddress.raw)
                .size("size", frames << frameShift).dec("frames", frames).end()
            return physicalPointer(first.startAddress)
        } catch {
            log.line(.warn, "heap", event).text("result", "refused").dec("frames", frames).text("error", error.name).end()
            return nil
        }
    }

    private func give(_ base: UnsafeMutableRawPointer, frames: UInt64, event: StaticString, owner: FrameOwner) {
        let first = physicalAddress(of: base).containingFrame
        do throws(FrameAllocatorError) {
            try KernelMemory.frames.free(runStartingAt: first, count: frames)
            FrameTrace.freed(first, count: frames, owner: owner)
            log.line(.debug, "heap", event).address("base", first.startAddress.raw)
                .size("size", frames << frameShift).dec("frames", frames).end()
        } catch {
            // The heap only gives back what this source gave it: a failure here is a kernel bug.
            panic("heap returned frames the frame allocator did not give it", "frame", first.raw)
        }
    }
}

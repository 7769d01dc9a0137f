// The kernel's side of MemoryObjects' ObjectFrameSource: object frames come from the one frame
// allocator (KernelMemory.frames), zeroed through the physical-access window, a CoW copy is one
// 4 KiB copy through the same window, and an object's charge goes through the same commit ledger
// as every private mapping (UserCommit.ledger). An object frame is logged as a user frame
// (FrameTrace owner=user, the active pid): the frame balance at power-off counts it like any other.
//
// Strict commit makes the allocation infallible in practice: an object's whole size is charged
// when it is created (or cloned, or adopted), and the ledger's limit leaves the kernel's reserve
// free, so a commit or CoW copy on a charged page finds a frame; nil is still handled upstream.
import MemoryCore
import MemoryObjects
import PhysicalMemory
import Syscalls

struct KernelObjectFrames: ObjectFrameSource {
    /// CoW copies and committed pages made through this source since boot (the summary and the log).
    nonisolated(unsafe) static var framesCopied: UInt64 = 0

    mutating func allocateZeroedFrame() -> FrameNumber? {
        guard let frame = try? KernelMemory.frames.allocate() else { return nil }
        FrameTrace.allocated(frame, count: 1, owner: .user)
        zeroFrame(frame)
        return frame
    }

    mutating func copyFrame(from source: FrameNumber, to destination: FrameNumber) {
        copyFrameBytes(from: source, to: destination)
        Self.framesCopied += 1
    }

    mutating func freeFrame(_ frame: FrameNumber) {
        do throws(FrameAllocatorError) { try KernelMemory.frames.free(frame) } catch {
            panic("object frame free refused", "frame", frame.raw)
        }
        FrameTrace.freed(frame, count: 1, owner: .user)
    }

    mutating func chargeCommit(_ pages: UInt64) -> Bool { UserCommit.ledger.charge(pages) }

    mutating func releaseCommit(_ pages: UInt64) { UserCommit.ledger.release(pages) }
}

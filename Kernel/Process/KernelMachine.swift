// The kernel's side of Syscalls' SyscallMachine: user frames from the frame allocator (zeroed
// through the identity map), `invlpg`, the system's free-frame count, the shared zero frame and
// the commit ledger (UserCommit), and the process's console line. Everything else about a memory call is the shared module's.
import MemoryCore
import PageTables
import PhysicalMemory
import Syscalls

struct KernelMachine: SyscallMachine {
    let process: Process

    func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard let frame = try? KernelMemory.frames.allocate() else { return nil }
        FrameTrace.allocated(frame, count: 1, owner: .user)
        zeroFrame(frame)
        return frame
    }

    func freeUserFrame(_ frame: FrameNumber) {
        do throws(FrameAllocatorError) { try KernelMemory.frames.free(frame) } catch {
            panic("user frame free refused", "frame", frame.raw)
        }
        FrameTrace.freed(frame, count: 1, owner: .user)
    }

    func invalidate(page: VirtualAddress) { cpu_invlpg(page.raw) }

    var freeFrameCount: UInt64 { KernelMemory.frames.statistics.freeFrames }

    var sharedZeroFrame: FrameNumber { UserCommit.sharedZeroFrame }

    var commit: SystemCommit {
        get { UserCommit.ledger }
        nonmutating set { UserCommit.ledger = newValue }
    }

    func writeConsole(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes where process.output.append(byte) { Processes.flushOutput(process) }
    }
}

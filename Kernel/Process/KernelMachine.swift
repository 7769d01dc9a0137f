// The kernel's side of Syscalls' SyscallMachine: user frames from the frame allocator (zeroed
// through the identity map), `invlpg`, the system's free-frame count, the shared zero frame and
// the commit ledger (UserCommit), and the process's console line. Everything else about a memory call is the shared module's.
import MemoryCore
import MemoryObjects
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

    /// invlpg only when this process's space is the one in CR3. Another space (a walk over every
    /// process mapping an object: CoW, decommit, clone write-protection) has its leaf removed or
    /// made read-only in memory, and needs nothing more: no user leaf is global and there is no
    /// PCID, so every TLB entry of that space died when CR3 last left it, and the next CR3 load
    /// (its next switch-in) starts it with an empty TLB. (One CPU; a second would need a shootdown.)
    func invalidate(page: VirtualAddress) {
        if cpu_read_cr3() == process.memory.space.root.startAddress.raw { cpu_invlpg(page.raw) }
    }

    /// A present leaf mapping an object's frame appeared in / left this process's space (the
    /// exact shared-frame count behind the summary's `shared_frames_peak=`).
    /// (Every unmapped leaf is reported; only frames counted as object leaves of this process
    /// change the count: a private frame never was.)
    func objectLeafMapped(_ frame: FrameNumber) { Objects.sharedFrames.leafMapped(frame, pid: process.id) }

    func leafUnmapped(_ frame: FrameNumber) { Objects.sharedFrames.leafUnmapped(frame, pid: process.id) }

    /// Memory objects: the kernel's one registry and frames from the frame allocator.
    func withObjects<Result, Failure: Error>(
        _ body: (inout MemoryObjects, inout KernelObjectFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var frames = KernelObjectFrames()
        return try body(&Objects.layer.memory, &frames)
    }

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

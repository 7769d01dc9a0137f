// Per-CPU state, in one place so a second CPU can later get its own copy (through GS, as Linux's
// per-cpu areas): the process the CPU runs, where its kernel stack is, and the ring-transition
// stubs' pointers that follow it (TSS.RSP0, the syscall stack, the x87/SSE save area), and the
// time of the last switch for the CPU-time clock. The scheduler's own saved stack pointer is
// `scheduler_stack_pointer` in boot/usermode.asm.
//
// Invariant: `current` is the process the Scheduling table calls current, or nil while the
// scheduler or the idle loop runs on the boot stack; while it is set, TSS.RSP0 and
// syscall_kernel_stack_top are its kernel stack's entry top and user_fpu_area its fxsave area.

@_extern(c, "syscall_kernel_stack_top") nonisolated(unsafe) var syscallKernelStackTop: UInt64

import MemoryCore
import PageTables
import Syscalls

struct CPULocal {
    /// The running process; nil in the scheduler and the idle loop.
    var current: Process? = nil
    /// The TSC at the last ring change or switch (ProcessClock charges the time since).
    var lastClockSwitch: UInt64 = 0

    /// This CPU's record (one CPU today).
    nonisolated(unsafe) static var this = CPULocal()

    /// Points the CPU at `process`: its stacks for entries from ring 3, its fxsave area, its
    /// address space. Called by the scheduler right before switching to it.
    static func switchIn(_ process: Process) {
        this.current = process
        let top = process.kernelStack!.entryTop
        TaskStateSegment.setKernelStack(top)
        syscallKernelStackTop = top
        process.cpuState.makeCurrent()
        cpu_write_cr3(process.memory.space.root.startAddress.raw)
        FrameTrace.activePid = process.id
    }

    /// Back in the scheduler: no process is current.
    static func switchOut() {
        this.current = nil
        FrameTrace.activePid = 0
    }
}

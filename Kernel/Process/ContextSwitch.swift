// The context switch (boot/usermode.asm's context_switch), the raw-pointer fence for saved stack
// pointers: the scheduler's in `scheduler_stack_pointer`, each process's in the top word of its
// kernel stack (KernelStack.savedStackPointer). Only two moves exist: the scheduler to a process
// (`run`), and the running process back to the scheduler (`toScheduler`). Both are called with
// interrupts off (all kernel code is): nothing can interrupt a half-made switch.

@_extern(c, "context_switch") func context_switch(_ save: UnsafeMutablePointer<UInt64>, _ load: UnsafePointer<UInt64>)
@_extern(c, "scheduler_stack_pointer") nonisolated(unsafe) var schedulerStackPointer: UInt64

enum ContextSwitch {
    private static var schedulerSlot: UnsafeMutablePointer<UInt64> {
        withUnsafeMutablePointer(to: &schedulerStackPointer) { $0 }
    }

    /// From the scheduler (on the boot stack) to `process`, until it gives the CPU back.
    static func run(_ process: Process) {
        CPULocal.switchIn(process)
        ProcessClock.switchIn()
        context_switch(schedulerSlot, process.kernelStack!.savedStackPointer)
        CPULocal.switchOut()
    }

    /// From the running process (on its kernel stack, whose saved-rsp word is `slot`) to the
    /// scheduler; returns when the scheduler runs the process again.
    static func toScheduler(from slot: UnsafeMutablePointer<UInt64>) {
        context_switch(slot, schedulerSlot)
    }
}

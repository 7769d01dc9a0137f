// Entering ring 3 and coming back (boot/usermode.asm). One user process runs at a time:
// `run` saves the kernel's registers in a KernelContext and drops to ring 3; the process ends
// when the exit syscall or a fault calls `resume(status:)`, which makes `run` return the status.

/// Callee-saved registers, stack and return address of the kernel at `user_enter`
/// (layout shared with boot/usermode.asm: rbx rbp r12 r13 r14 r15 rsp rip).
struct KernelContext {
    var rbx: UInt64 = 0, rbp: UInt64 = 0, r12: UInt64 = 0, r13: UInt64 = 0
    var r14: UInt64 = 0, r15: UInt64 = 0, rsp: UInt64 = 0, rip: UInt64 = 0
}

@_extern(c, "user_enter") func user_enter(_ context: UnsafeMutableRawPointer, _ entry: UInt64, _ stack: UInt64, _ argument: UInt64) -> UInt64
/// Does not return (it jumps back into `user_enter`'s caller); C cannot say so, `resume` does.
@_extern(c, "user_resume_kernel") func user_resume_kernel(_ context: UnsafeMutableRawPointer, _ status: UInt64)

enum UserMode {
    /// Where the kernel resumes when the running process ends. Static: it must outlive the
    /// process's whole run, and there is one CPU.
    nonisolated(unsafe) static var context = KernelContext()
    nonisolated(unsafe) static var isRunningUserCode = false

    /// Runs user code at `entry` on `stack`, with `cpuState` as its saved CPU state, until the
    /// process ends; returns its status.
    static func run(entry: UInt64, stack: UInt64, cpuState: UserCPUState) -> UInt64 {
        isRunningUserCode = true
        cpuState.makeCurrent()
        ProcessClock.start()
        let status = withUnsafeMutablePointer(to: &context) { user_enter(UnsafeMutableRawPointer($0), entry, stack, 0) }
        ProcessClock.stop()
        isRunningUserCode = false
        return status
    }

    /// Ends the running process: back to `run`'s caller with `status`.
    static func resume(status: UInt64) -> Never {
        withUnsafeMutablePointer(to: &context) { user_resume_kernel(UnsafeMutableRawPointer($0), status) }
        panic("user_resume_kernel returned")
    }
}

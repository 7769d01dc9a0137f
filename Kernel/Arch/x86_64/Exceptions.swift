// What happens when the CPU raises an exception: the kernel names it, prints the error code, RIP,
// the registers and, for page faults, CR2 and the decoded error bits, then exits QEMU with the
// fail code. A bug never ends as a silent triple-fault reboot loop. A breakpoint (#BP) in the
// kernel is reported and execution resumes, which the in-kernel test suite uses to test this path.
// A page fault from ring 3 first goes to the process's fault resolution (demand paging, Syscalls'
// ProcessMemory.resolveFault); resolved, the program resumes at the faulting instruction. Any
// other exception from ring 3 (a breakpoint too), and a page fault the resolution refuses, kills
// the process; names come from FaultName (Sources/KernelLog), the one list the docs and the test
// scripts use as well. A page fault in ring 0 stays fatal: the kernel never touches user memory
// through user addresses.

import KernelLog

private let trapFlag: UInt64 = 1 << 8

/// Breakpoints seen so far (the self-test checks that `int3` arrives here and returns).
nonisolated(unsafe) var breakpointCount = 0

@_cdecl("kernel_handle_exception")
func kernelHandleException(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: ExceptionFrame.self)
    let fromProcess = frame.pointee.privilegeLevel == 3 && CPULocal.this.current != nil
    if fromProcess { ProcessClock.enterKernel() }
    if frame.pointee.vector == ProgrammableTimer.vector {
        ProgrammableTimer.tick(frame.pointee)
        return
    }
    let fault = FaultName(vector: frame.pointee.vector) ?? .reserved
    if fromProcess {
        if fault == .pageFault && Processes.resolveUserPageFault(errorCode: frame.pointee.errorCode) {
            if !ProcessClock.leaveKernel() { Processes.killCurrent(frame.pointee, fault: .cpuTimeLimit) }
            return
        }
        Processes.killCurrent(frame.pointee, fault: fault)
    }
    if fault == .debug && frame.pointee.privilegeLevel == 0 {
        // The kernel sets no breakpoint register and never TF: a debug trap in ring 0 can only be
        // a program's single step delivered after `syscall` (it runs on IST2, never on the user's
        // stack). Step no further and carry on, as Linux does.
        frame.pointee.rflags &= ~trapFlag
        log.line(.warn, "cpu", "kernel-single-step").address("rip", frame.pointee.rip).end()
        return
    }
    if fault == .breakpoint {
        breakpointCount += 1
        log.line(.debug, "cpu", "breakpoint").address("rip", frame.pointee.rip).end()
        return
    }
    reportFatalException(frame.pointee, name: fault.name)
}

private func reportFatalException(_ frame: ExceptionFrame, name: StaticString) -> Never {
    log.line(.error, "cpu", "exception").text("name", name).dec("vector", frame.vector)
        .hex("error_code", frame.errorCode).address("rip", frame.rip).address("rsp", frame.rsp)
        .dec("ring", frame.privilegeLevel).end()
    if frame.vector == UInt64(FaultName.pageFault.rawValue) {
        reportPageFault(PageFaultErrorCode(rawValue: frame.errorCode))
    }
    log.line(.error, "cpu", "registers").hex("rax", frame.rax).hex("rbx", frame.rbx)
        .hex("rcx", frame.rcx).hex("rdx", frame.rdx).hex("rsi", frame.rsi).hex("rdi", frame.rdi)
        .hex("rbp", frame.rbp).hex("rflags", frame.rflags).hex("cr3", cpu_read_cr3()).end()
    panic("unhandled CPU exception", "vector", frame.vector)
}

private func reportPageFault(_ code: PageFaultErrorCode) {
    log.line(.error, "cpu", "page-fault").address("cr2", cpu_read_cr2())
        .text("cause", code.contains(.present) ? "protection-violation" : "page-not-present")
        .text("access", code.contains(.instructionFetch) ? "execute" : (code.contains(.write) ? "write" : "read"))
        .text("mode", code.contains(.user) ? "user" : "kernel")
        .text("reserved_bit", code.contains(.reservedBit) ? "set" : "clear").end()
}

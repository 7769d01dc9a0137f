// What happens when the CPU raises an exception: the kernel names it, prints the error code, RIP,
// the registers and, for page faults, CR2 and the decoded error bits, then exits QEMU with the
// fail code. A bug never ends as a silent triple-fault reboot loop. A breakpoint (#BP) is
// reported and execution resumes, which the in-kernel test suite uses to test this path.

import KernelLog

enum ExceptionVector: UInt64 {
    case divideError = 0, debug, nonMaskableInterrupt, breakpoint, overflow, boundRange,
         invalidOpcode, deviceNotAvailable, doubleFault, coprocessorSegmentOverrun, invalidTSS,
         segmentNotPresent, stackSegmentFault, generalProtection, pageFault, reserved15,
         x87FloatingPoint, alignmentCheck, machineCheck, simdFloatingPoint, virtualization,
         controlProtection

    var name: StaticString {
        switch self {
        case .divideError: "divide-error"
        case .debug: "debug"
        case .nonMaskableInterrupt: "non-maskable-interrupt"
        case .breakpoint: "breakpoint"
        case .overflow: "overflow"
        case .boundRange: "bound-range-exceeded"
        case .invalidOpcode: "invalid-opcode"
        case .deviceNotAvailable: "device-not-available"
        case .doubleFault: "double-fault"
        case .coprocessorSegmentOverrun: "coprocessor-segment-overrun"
        case .invalidTSS: "invalid-tss"
        case .segmentNotPresent: "segment-not-present"
        case .stackSegmentFault: "stack-segment-fault"
        case .generalProtection: "general-protection-fault"
        case .pageFault: "page-fault"
        case .reserved15: "reserved"
        case .x87FloatingPoint: "x87-floating-point"
        case .alignmentCheck: "alignment-check"
        case .machineCheck: "machine-check"
        case .simdFloatingPoint: "simd-floating-point"
        case .virtualization: "virtualization"
        case .controlProtection: "control-protection"
        }
    }
}

/// Breakpoints seen so far (the self-test checks that `int3` arrives here and returns).
nonisolated(unsafe) var breakpointCount = 0

@_cdecl("kernel_handle_exception")
func kernelHandleException(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: ExceptionFrame.self)
    if frame.pointee.vector == ProgrammableTimer.vector {
        ProgrammableTimer.tick(frame.pointee)
        return
    }
    let vector = ExceptionVector(rawValue: frame.pointee.vector)
    if vector == .breakpoint {
        breakpointCount += 1
        log.line(.debug, "cpu", "breakpoint").address("rip", frame.pointee.rip).end()
        return
    }
    if frame.pointee.privilegeLevel == 3 && UserMode.isRunningUserCode {
        Processes.killCurrent(frame.pointee, name: vector?.name ?? "reserved")
    }
    reportFatalException(frame.pointee, name: vector?.name ?? "reserved")
}

private func reportFatalException(_ frame: ExceptionFrame, name: StaticString) -> Never {
    log.line(.error, "cpu", "exception").text("name", name).dec("vector", frame.vector)
        .hex("error_code", frame.errorCode).address("rip", frame.rip).address("rsp", frame.rsp)
        .dec("ring", frame.privilegeLevel).end()
    if frame.vector == ExceptionVector.pageFault.rawValue {
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

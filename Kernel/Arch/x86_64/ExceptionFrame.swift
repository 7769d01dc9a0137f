// The stack frame boot/interrupts.asm builds before calling Swift. Field order mirrors the
// pushes in exception_common (lowest address first); keep the two in step.

struct ExceptionFrame {
    var r15: UInt64, r14: UInt64, r13: UInt64, r12: UInt64
    var r11: UInt64, r10: UInt64, r9: UInt64, r8: UInt64
    var rbp: UInt64, rdi: UInt64, rsi: UInt64, rdx: UInt64, rcx: UInt64, rbx: UInt64, rax: UInt64
    var vector: UInt64
    var errorCode: UInt64
    // Pushed by the CPU.
    var rip: UInt64, cs: UInt64, rflags: UInt64, rsp: UInt64, ss: UInt64

    /// Privilege level the CPU was running at when the exception hit (3 = user mode).
    var privilegeLevel: UInt64 { cs & 3 }
}

/// The page-fault error code's bits (Intel SDM vol. 3, 4.7).
struct PageFaultErrorCode: OptionSet {
    let rawValue: UInt64
    /// Set: protection violation on a present page. Clear: the page was not present.
    static let present = PageFaultErrorCode(rawValue: 1 << 0)
    static let write = PageFaultErrorCode(rawValue: 1 << 1)
    static let user = PageFaultErrorCode(rawValue: 1 << 2)
    static let reservedBit = PageFaultErrorCode(rawValue: 1 << 3)
    static let instructionFetch = PageFaultErrorCode(rawValue: 1 << 4)
}

// The registers boot/usermode.asm saves at `syscall` entry (lowest address first; keep in step).

struct SyscallFrame {
    var r15: UInt64, r14: UInt64, r13: UInt64, r12: UInt64, r11: UInt64, r10: UInt64, r9: UInt64, r8: UInt64
    var rbp: UInt64, rdi: UInt64, rsi: UInt64, rdx: UInt64, rcx: UInt64, rbx: UInt64, rax: UInt64
    /// An iretq frame: the way back when sysret cannot be used (TF set, non-canonical rip).
    var userRIP: UInt64, userCS: UInt64, userRFLAGS: UInt64, userRSP: UInt64, userSS: UInt64

    /// rax = number; rdi, rsi, rdx, r10, r8, r9 = arguments (r10 stands in for rcx, which
    /// `syscall` overwrites with the return address).
    var number: UInt64 { rax }
    var arguments: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) { (rdi, rsi, rdx, r10, r8, r9) }
}

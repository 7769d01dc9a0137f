// The only way from Swift into the kernel: `swiftmm_syscall6` (User/Runtime/syscall.asm).
//
// Everything else in the runtime calls `SyscallTrap.invoke`, which hands the raw 64-bit result
// back; decoding it into a value or an Errno is `SyscallResult`'s job. Host tests link a fake
// kernel under the same C name, so the wrappers above this file run unchanged on the host.

/// The asm stub: number in rax, arguments in rdi rsi rdx r10 r8 r9, result from rax.
@_extern(c, "swiftmm_syscall6")
func swiftmm_syscall6(
    _ number: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64,
    _ a4: UInt64, _ a5: UInt64, _ a6: UInt64
) -> Int64

/// Raw system calls with up to six arguments (unused ones are passed as 0).
enum SyscallTrap {
    /// Contract: none on the caller's side; the kernel validates every argument and answers a
    /// bad one with -errno (this is what `syscall_fuzz` relies on).
    @inline(__always)
    static func invoke(
        _ number: UInt64, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0,
        _ a4: UInt64 = 0, _ a5: UInt64 = 0, _ a6: UInt64 = 0
    ) -> Int64 {
        swiftmm_syscall6(number, a1, a2, a3, a4, a5, a6)
    }

    @inline(__always)
    static func invoke(_ number: SyscallNumber, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0) -> Int64 {
        swiftmm_syscall6(number.rawValue, a1, a2, a3, a4, 0, 0)
    }
}

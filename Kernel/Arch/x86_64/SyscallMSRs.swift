// Turning on the `syscall` instruction (Intel SDM vol. 3, 5.8.8): EFER.SCE, the target
// selectors (STAR), the entry point (LSTAR) and the RFLAGS bits cleared on entry (SFMASK).

@_extern(c, "syscall_entry") func syscall_entry()

enum SyscallMSRs {
    private static let efer: UInt32 = 0xC000_0080
    private static let star: UInt32 = 0xC000_0081
    private static let lstar: UInt32 = 0xC000_0082
    private static let sfmask: UInt32 = 0xC000_0084
    /// RFLAGS bits `syscall` clears, so the kernel starts from RFLAGS = 0x2 whatever the program
    /// set (Linux's mask): CF PF AF ZF SF TF IF DF OF, IOPL, NT, RF, AC, ID. NT left set would make
    /// the kernel's next iretq a task return (#GP); AC would open SMAP; DF would run string
    /// instructions backwards; TF would single-step the kernel.
    static let kernelEntryClearedFlags: UInt64 = 0x0025_7FD5

    static func enable() {
        cpu_write_msr(efer, cpu_read_msr(efer) | 1)  // SCE
        cpu_write_msr(star, UInt64(Selector.sysretBase) << 48 | UInt64(Selector.kernelCode) << 32)
        let entry: @convention(c) () -> Void = syscall_entry
        cpu_write_msr(lstar, UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self))))
        cpu_write_msr(sfmask, kernelEntryClearedFlags)
    }
}

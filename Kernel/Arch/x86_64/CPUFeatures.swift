// What this CPU offers (CPUID, read once at boot) and the protections the kernel turns on:
//   - x87/SSE state for programs: CR0.EM off, CR0.MP on, CR4.OSFXSR and CR4.OSXMMEXCPT on, so
//     fxsave/fxrstor save the whole state (UserCPUState) and a program may use SSE and MXCSR;
//     CR0.NE on, so an unmasked x87 exception is #MF in the program (x87-floating-point), not
//     the legacy FERR# interrupt;
//   - SMEP (CR4.20): the kernel never executes a user page; SMAP (CR4.21): the kernel never reads
//     or writes a user page. The kernel reaches user memory only through its own supervisor
//     identity map (Kernel/Process/UserMemory.swift copies through `physicalPointer`), so it
//     never needs to open SMAP (no stac/clac anywhere): any kernel access through a user
//     address is a bug and faults;
//   - NX: the boot stub sets EFER.NXE only when CPUID 0x80000001:EDX.20 says the CPU has it.
//     Without it the kernel says so in one line and writes no entry with bit 63
//     (IdentityAccess.noExecuteSupported): W^X then holds for writes only (data is executable).

import KernelLog

@_extern(c, "cpu_write_cr0") func cpu_write_cr0(_ value: UInt64)
@_extern(c, "cpu_write_cr4") func cpu_write_cr4(_ value: UInt64)

enum CPUFeatures {
    nonisolated(unsafe) static var noExecute = false
    nonisolated(unsafe) static var smep = false
    nonisolated(unsafe) static var smap = false
    nonisolated(unsafe) static var randomNumbers = false

    private static let cr0MonitorCoprocessor: UInt64 = 1 << 1
    private static let cr0Emulation: UInt64 = 1 << 2
    private static let cr0TaskSwitched: UInt64 = 1 << 3
    private static let cr0NumericError: UInt64 = 1 << 5
    private static let cr4OSFXSR: UInt64 = 1 << 9
    private static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    private static let cr4SMEP: UInt64 = 1 << 20
    private static let cr4SMAP: UInt64 = 1 << 21

    /// Reads CPUID and turns on what the kernel uses. Before the first page-table change and the
    /// first user program.
    static func enable() {
        let maximumLeaf = CPUIDResult(leaf: 0).eax
        let extended = CPUIDResult(leaf: 0x8000_0000).eax >= 0x8000_0001 ? CPUIDResult(leaf: 0x8000_0001) : CPUIDResult(leaf: 0)
        let structured = maximumLeaf >= 7 ? CPUIDResult(leaf: 7) : nil
        let basic = CPUIDResult(leaf: 1)
        noExecute = extended.edx & (1 << 20) != 0 && CPU.noExecuteEnabled
        smep = (structured?.ebx ?? 0) & (1 << 7) != 0
        smap = (structured?.ebx ?? 0) & (1 << 20) != 0
        randomNumbers = basic.ecx & (1 << 30) != 0
        cpu_write_cr0((cpu_read_cr0() & ~(cr0Emulation | cr0TaskSwitched)) | cr0MonitorCoprocessor | cr0NumericError)
        var cr4 = cpu_read_cr4() | cr4OSFXSR | cr4OSXMMEXCPT
        if smep { cr4 |= cr4SMEP }
        if smap { cr4 |= cr4SMAP }
        cpu_write_cr4(cr4)
        log.line(.info, "cpu", "features").text("nx", noExecute ? "on" : "absent").text("smep", smep ? "on" : "absent")
            .text("smap", smap ? "on" : "absent").text("rdrand", randomNumbers ? "yes" : "no")
            .text("gib_pages", CPU.hasGibibytePages ? "yes" : "no").end()
        if !noExecute {
            log.line(.warn, "cpu", "no-nx").text("wx", "writes-only").text("data", "executable").text("programs", "run").end()
        }
    }
}

// rflags_dirty (hostile): makes syscalls with NT, AC, DF (and an attempt at IOPL 3) set in RFLAGS,
// checks what the kernel hands back, and finally exits with NT, AC and DF still set. The kernel
// must run its own code from a known RFLAGS (SFMASK), return the program's own flags (DF, AC)
// but never NT or IOPL, and come back from the exit with clean flags for the next program (a
// kernel that kept NT would fault on its next iretq to ring 3).
// Failures: 1 NT came back, 2 IOPL came back, 3 DF or AC lost, 4 IF off, 5 write failed.
// Expected: exit=0 (and every program after it runs).
import KernelLog

@_extern(c, "user_write_with_rflags") func user_write_with_rflags(
    _ bits: UInt64, _ buffer: UnsafeRawPointer, _ length: UInt64
) -> UInt64
@_extern(c, "user_exit_with_rflags") func user_exit_with_rflags(_ bits: UInt64, _ code: Int32)

enum RFlags {
    static let interrupts: UInt64 = 1 << 9
    static let direction: UInt64 = 1 << 10
    static let ioPrivilege: UInt64 = 3 << 12
    static let nestedTask: UInt64 = 1 << 14
    static let alignmentCheck: UInt64 = 1 << 18
}

@_cdecl("user_main")
func userMain() -> Int32 {
    let message: StaticString = "rflags_dirty syscall with NT AC DF set\n"
    let dirty = RFlags.nestedTask | RFlags.alignmentCheck | RFlags.direction | RFlags.ioPrivilege
    for round in 0 ..< 64 {
        let flags = user_write_with_rflags(dirty, message.utf8Start, round == 0 ? UInt64(message.utf8CodeUnitCount) : 0)
        if flags & RFlags.nestedTask != 0 { return fail(1, flags) }
        if flags & RFlags.ioPrivilege != 0 { return fail(2, flags) }
        if flags & (RFlags.direction | RFlags.alignmentCheck) != RFlags.direction | RFlags.alignmentCheck {
            return fail(3, flags)
        }
        if flags & RFlags.interrupts == 0 { return fail(4, flags) }
    }
    Console.line("rflags_dirty").word("ok").phrase("next", "exit with NT AC DF set").end()
    Console.flush()
    user_exit_with_rflags(RFlags.nestedTask | RFlags.alignmentCheck | RFlags.direction, 0)
    return 5
}

func fail(_ code: Int32, _ flags: UInt64) -> Int32 {
    Console.line("rflags_dirty").word("FAILED").dec("check", Int(code)).hex("rflags", flags).end()
    return code
}

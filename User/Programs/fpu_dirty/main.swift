// fpu_dirty (hostile): leaves the x87/SSE state as a careless program might: FCW with single
// precision, round toward zero and the invalid and zero-divide exceptions unmasked; MXCSR with
// round toward zero and zero-divide unmasked; the x87 stack full. It checks that its own state
// survives a syscall (the kernel saves and restores it, and does its own math with a clean
// state), then exits. The next program (fpu_check) must start from the reset state.
// Failures: 1 FCW changed across a syscall, 2 MXCSR changed, 3 x87 stack changed.
// Expected: exit=0.
import KernelLog

@_extern(c, "user_fpu_control_word") func user_fpu_control_word() -> UInt16
@_extern(c, "user_set_fpu_control_word") func user_set_fpu_control_word(_ value: UInt16)
@_extern(c, "user_mxcsr") func user_mxcsr() -> UInt32
@_extern(c, "user_set_mxcsr") func user_set_mxcsr(_ value: UInt32)
@_extern(c, "user_fpu_tag_word") func user_fpu_tag_word() -> UInt16
@_extern(c, "user_fill_x87_stack") func user_fill_x87_stack()

let dirtyControlWord: UInt16 = 0x0C3A  // RC toward zero, PC single, IM and ZM unmasked
let dirtyMXCSR: UInt32 = 0x7D80  // RC toward zero, ZM unmasked

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("fpu_dirty").word("dirtying").hex("fcw", UInt64(dirtyControlWord)).hex("mxcsr", UInt64(dirtyMXCSR)).end()
    Console.flush()
    user_set_fpu_control_word(dirtyControlWord)
    user_set_mxcsr(dirtyMXCSR)
    user_fill_x87_stack()
    let tagsBefore = user_fpu_tag_word()
    for _ in 0 ..< 16 {
        _ = try? Syscall.memstat()  // kernel entries and exits with the dirty state live
    }
    if user_fpu_control_word() != dirtyControlWord { return 1 }
    if user_mxcsr() != dirtyMXCSR { return 2 }
    if user_fpu_tag_word() != tagsBefore || tagsBefore != 0 { return 3 }
    Console.line("fpu_dirty").word("ok").phrase("next", "exit with the state dirty").end()
    return 0
}

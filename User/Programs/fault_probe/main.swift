// fault_probe (hostile): one Swift program, linked once per probe as build/user/fault_NAME.elf
// with `--defsym=hostile_probe=probe_NAME` (Makefile, FAULT_PROBES). Each probe (User/Runtime/
// cpu.asm) does one thing ring 3 may not do: int3, int 4, int 0x80, ud2, divide by zero, hlt, cli,
// in, out, mov cr3, wrmsr, a fault with NT/AC/DF set, a syscall with TF set. The kernel must kill
// the program with the fault's name (expectations.txt) and carry on with the next one.
// The probe returning at all is a kernel bug: exit 1.
import KernelLog

@_extern(c, "hostile_probe") func hostile_probe()

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("fault_probe").word("probing").end()
    Console.flush()
    hostile_probe()
    Console.line("fault_probe").word("FAILED").phrase("reason", "the probe returned").end()
    return 1
}

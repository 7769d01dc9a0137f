// kernel_jump (hostile): calls a function pointer to 0x100000 (the kernel image: present but
// supervisor-only). The kernel must kill the program with a page fault on the instruction fetch.
// Returning exits 1.
// Expected: killed=page-fault.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("kernel_jump").word("calling").hex("address", UserSpace.kernelAddress.raw).text("expect", "page-fault").end()
    Console.flush()
    let target = unsafeBitCast(UserSpace.kernelAddress.pointer!, to: (@convention(c) () -> Void).self)
    target()
    Console.line("kernel_jump").word("FAILED").phrase("reason", "kernel code ran in ring 3").end()
    return 1
}

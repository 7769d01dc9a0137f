// bad_pointer (hostile): hands the kernel a kernel address, then reads one itself.
// 1. write(0x100000, 10) must fail with EFAULT (the kernel must not copy its own memory out);
//    any other answer exits 1 (success) or 2 (another errno).
// 2. A load from 0x100000 (kernel image, supervisor-only): the kernel must kill the program with a
//    page fault. Surviving it exits 3.
// Expected: killed=page-fault.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        _ = try Syscall.write(address: UserSpace.kernelAddress, length: 10)
        Console.line("bad_pointer").word("FAILED").phrase("reason", "write from kernel memory succeeded").end()
        return 1
    } catch {
        guard error == .badAddress else {
            Console.line("bad_pointer").word("FAILED").text("errno", error.name).text("expected", "EFAULT").end()
            return 2
        }
    }
    Console.line("bad_pointer").word("write").text("errno", "EFAULT").end()
    Console.line("bad_pointer").word("reading").hex("address", UserSpace.kernelAddress.raw).text("expect", "page-fault").end()
    Console.flush()
    let byte = UserSpace.kernelAddress.loadByteOpaque()
    Console.line("bad_pointer").word("FAILED").phrase("reason", "read kernel memory").hex("byte", UInt64(byte)).end()
    return 3
}

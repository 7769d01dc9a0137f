// syscall_hog (hostile): spends its time in the kernel, not in ring 3: an endless loop of
// map 256 KiB (64 zeroed frames) + touch one page + unmap, and empty writes. The kernel counts the
// time it spends on the program's behalf (ProcessClock) and kills it at its CPU-time limit like
// any runaway: the `proc end` line shows most of the time as cpu_kernel_ms.
// Expected: killed=cpu-time-limit.
import MemoryCore
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    Console.line("syscall_hog").word("looping-in-syscalls").phrase("expect", "cpu-time-limit").end()
    Console.flush()
    let length: UInt64 = 256 << 10
    var rounds: UInt64 = 0
    while true {
        guard let address = try? Syscall.map(length: length, protection: .readWrite) else { return 2 }
        UnsafeMutablePointer<UInt8>(bitPattern: UInt(address.raw))!.pointee = UInt8(truncatingIfNeeded: rounds)
        guard (try? Syscall.unmap(address: address, length: length)) != nil else { return 3 }
        if rounds % 16 == 0 {
            // An empty write: the syscall path itself, with nothing printed.
            _ = try? Syscall.write(address: address, length: 0)
        }
        rounds &+= 1
    }
}

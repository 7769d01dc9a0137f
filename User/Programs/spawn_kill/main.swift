// spawn_kill: a child's fault reaches its parent through wait, and a killed parent does not leak
// its children. Spawns `bad_pointer` and waits: its status must say killed by a page fault.
// Then spawns two `yield_partner` children (they yield 5000 times: still alive a while) and,
// without waiting, writes through a null pointer: the kernel kills this process; its children,
// orphaned, still run to their end and are reaped by the kernel (`proc orphaned` lines, then each
// child's `proc end ... frames=all-returned`; Tests/qemu/run-all.sh checks both).
// Expected: killed=page-fault (exit 1-3 instead: 1 spawn failed, 2 wait failed, 3 wrong status).
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let child = try? Syscall.spawn("bad_pointer") else { return 1 }
    guard let (pid, status) = try? Syscall.wait(for: child), pid == child else { return 2 }
    guard status == .killed(faultNumber: FaultName.pageFault.rawValue) else { return 3 }
    guard let first = try? Syscall.spawn("yield_partner"), let second = try? Syscall.spawn("yield_partner") else { return 1 }
    Console.line("spawn_kill").word("ok").phrase("child_status", "killed_page-fault").dec("orphans_first", first)
        .dec("orphans_second", second).phrase("now", "faulting_with_children_alive").end()
    Console.flush()
    UnsafeMutablePointer<UInt8>(bitPattern: 0x10)!.pointee = 1
    return 4
}

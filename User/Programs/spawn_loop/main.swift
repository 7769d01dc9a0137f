// spawn_loop (hostile): spawns `hello` as fast as it can and never waits until refused, 200
// spawns in all. Its tree of processes (itself and every child not yet reaped) is limited
// (Scheduler.treeLimit, 16): past it spawn says EAGAIN, the loop reaps one child and goes on.
// It ends with children still alive and unreaped zombies: the kernel reaps the zombies at its
// exit and the live ones when they end. No other program's spawns are refused meanwhile.
// Expected: exit=0, a `spawn_loop ok` line with refused > 0. Exit codes: 1 an errno other than
// EAGAIN/ENOMEM, 2 a wait failed after a refusal, 3 never refused (no limit).
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    var spawned: UInt64 = 0, refused: UInt64 = 0, reaped: UInt64 = 0
    while spawned < 200 {
        do throws(Errno) {
            _ = try Syscall.spawn("hello")
            spawned += 1
        } catch {
            guard error == .tryAgain || error == .outOfMemory else {
                Console.line("spawn_loop").word("FAILED").text("errno", error.name).end()
                return 1
            }
            refused += 1
            guard (try? Syscall.wait()) != nil else { return 2 }
            reaped += 1
        }
    }
    guard refused > 0 else { return 3 }
    Console.line("spawn_loop").word("ok").dec("spawned", spawned).dec("refused", refused).dec("reaped", reaped)
        .phrase("left", "children_alive_and_zombies").end()
    return 0
}

// spawn_wait: a parent that spawns several children and waits for them. Three `hello` children
// (a boot module of every run that has this program); wait for the second by its pid, then for
// any child twice; each must have exited 0 and each pid must come back exactly once; then wait
// again must say ECHILD. Then spawn's refusals: an unknown name (ENOENT), an empty and a too long
// name (EINVAL), a name in kernel memory (EFAULT). getpid must be this process's pid (nonzero,
// and not a child's).
// Expected: exit=0, a `spawn_wait ok` line. Exit codes: 1 a spawn failed, 2 a wait failed,
// 3 a child did not exit 0, 4 a pid came back wrong, 5 wait after the last child did not say
// ECHILD, 6 a refusal had the wrong errno, 7 getpid wrong.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let me = Syscall.getpid()
    var children: (UInt64, UInt64, UInt64) = (0, 0, 0)
    do throws(Errno) {
        children = (try Syscall.spawn("hello"), try Syscall.spawn("hello"), try Syscall.spawn("hello"))
    } catch {
        Console.line("spawn_wait").word("FAILED").text("spawn", error.name).end()
        return 1
    }
    guard me != 0, me != children.0, me != children.1, me != children.2 else { return 7 }
    var seen: (Bool, Bool, Bool) = (false, false, false)
    for round in 0 ..< 3 {
        guard let (pid, status) = try? Syscall.wait(for: round == 0 ? children.1 : nil) else { return 2 }
        guard status == .exited(code: 0) else { return 3 }
        switch pid {
        case children.0 where !seen.0: seen.0 = true
        case children.1 where !seen.1 && round == 0: seen.1 = true
        case children.2 where !seen.2: seen.2 = true
        default: return 4
        }
    }
    do throws(Errno) {
        _ = try Syscall.wait()
        return 5
    } catch { guard error == .noChild else { return 5 } }
    guard refusal("no_such_program", .noSuchEntry),
        refusal(address: 0x1000, length: 5, .badAddress),
        refusal(address: 0x1000, length: 0, .invalidArgument),
        refusal(address: 0x1000, length: 65, .invalidArgument)
    else { return 6 }
    Console.line("spawn_wait").word("ok").dec("pid", me).dec("children", 3).dec("child_pids_first", children.0)
        .phrase("statuses", "exited_0").end()
    return 0
}

private func refusal(_ name: StaticString, _ expected: Errno) -> Bool {
    do throws(Errno) {
        _ = try Syscall.spawn(name)
        return false
    } catch { return error == expected }
}

private func refusal(address: UInt64, length: UInt64, _ expected: Errno) -> Bool {
    do throws(Errno) {
        _ = try Syscall.spawn(address: VirtualAddress(address), length: length)
        return false
    } catch {
        return error == expected
    }
}

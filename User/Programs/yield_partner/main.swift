// yield_partner: yields 5000 times, then exits 0. switch_cost's partner in the context-switch
// benchmark (spawned by it); started on its own it just yields to whoever else runs.
// Expected: exit=0.

@_cdecl("user_main")
func userMain() -> Int32 {
    for _ in 0 ..< 5000 { Syscall.yield() }
    return 0
}

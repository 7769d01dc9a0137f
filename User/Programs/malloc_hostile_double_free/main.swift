// malloc_hostile_double_free (hostile): frees the same 48-byte block twice (a neighbour stays
// live so the block's span stays mapped). The heap must report a double free, which the runtime
// turns into a console line and exit code 104 (100 + HeapError.doubleFree.code).
// Not reported: exit 1. Out of memory: exit 2.
// Expected: exit=104.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let block = CAllocation.malloc(48), let neighbour = CAllocation.malloc(48) else { return 2 }
    CAllocation.free(block)
    Console.line("malloc_hostile_double_free").word("freeing-again").text("expect", "exit-104").end()
    CAllocation.free(block)
    Console.line("malloc_hostile_double_free").word("FAILED").phrase("reason", "double free not reported").end()
    CAllocation.free(neighbour)
    return 1
}

// malloc_hostile_interior_free (hostile): frees a pointer 16 bytes into a live 64-byte block. The
// heap must report an interior pointer: exit code 102 (100 + HeapError.interiorPointer.code).
// Not reported: exit 1. Out of memory: exit 2.
// Expected: exit=102.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let block = CAllocation.malloc(64) else { return 2 }
    Console.line("malloc_hostile_interior_free").word("freeing").text("expect", "exit-102").end()
    CAllocation.free(block + 16)
    Console.line("malloc_hostile_interior_free").word("FAILED").phrase("reason", "interior free not reported").end()
    CAllocation.free(block)
    return 1
}

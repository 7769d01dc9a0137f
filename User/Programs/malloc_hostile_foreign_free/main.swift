// malloc_hostile_foreign_free (hostile): frees a pointer the heap never returned: a page mapped
// directly with the map syscall (the heap exists and holds a live block). The heap must report a
// foreign pointer: exit code 101 (100 + HeapError.foreignPointer.code).
// Not reported: exit 1. Setup failed: exit 2.
// Expected: exit=101.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let live = CAllocation.malloc(64),
        let page = try? Syscall.map(length: UserSpace.pageBytes, protection: .readWrite)
    else { return 2 }
    Console.line("malloc_hostile_foreign_free").word("freeing").text("expect", "exit-101").end()
    CAllocation.free(page.pointer)
    Console.line("malloc_hostile_foreign_free").word("FAILED").phrase("reason", "foreign free not reported").end()
    CAllocation.free(live)
    return 1
}

// exec_data (hostile): maps a read-write page, writes a `ret` instruction (0xC3) into it and calls
// it. The page is not executable (NX), so the kernel must kill the program with a page fault on
// the instruction fetch. Returning from the call exits 1; a failed map exits 2.
// Expected: killed=page-fault.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    let page: VirtualAddress
    do throws(Errno) {
        page = try Syscall.map(length: UserSpace.pageBytes, protection: .readWrite)
    } catch {
        Console.line("exec_data").word("FAILED").text("map-errno", error.name).end()
        return 2
    }
    page.storeByte(0xC3)  // ret
    Console.line("exec_data").word("calling").hex("address", page.raw).text("expect", "page-fault").end()
    Console.flush()
    let code = unsafeBitCast(page.pointer!, to: (@convention(c) () -> Void).self)
    code()
    Console.line("exec_data").word("FAILED").phrase("reason", "executed a non-executable page").end()
    return 1
}

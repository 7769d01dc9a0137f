// stack_jump (hostile): tries to place a mapping right under the stack (below where a one-page
// guard would end), then makes a "large frame" access 32 KiB below the stack's lowest page, as a
// function with a big local array would, jumping any single guard page. The kernel refuses the
// mapping (EEXIST: the 1 MiB guard gap), so the access lands in the gap and faults
// (page-fault, cause=stack-guard-gap). Mapping granted: exit 2; access survived: exit 1.
// Expected: killed=page-fault.
import MemoryCore
import KernelLog

@_extern(c, "user_store_below_stack") func user_store_below_stack(_ offset: UInt64)

@_cdecl("user_main")
func userMain() -> Int32 {
    let page = UserSpace.pageBytes
    let stackStart = UserSpace.stackEnd.raw - UserSpace.stackBytes
    let target = VirtualAddress(stackStart - page - 16 * page)  // right under a one-page guard
    if let mapped = try? Syscall.map(hint: target, length: 16 * page, protection: .readWrite) {
        Console.line("stack_jump").word("FAILED").hex("mapped_under_stack", mapped.raw).end()
        return 2
    }
    Console.line("stack_jump").word("jumping").text("expect", "page-fault").end()
    Console.flush()
    // From the current rsp (near the stack top): past the whole stack (its 1 MiB limit) and 32 KiB more.
    user_store_below_stack(UserSpace.stackBytes + 32 * 1024)
    Console.line("stack_jump").word("FAILED").phrase("reason", "the store below the stack did not fault").end()
    return 1
}

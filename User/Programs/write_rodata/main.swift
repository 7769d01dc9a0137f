// write_rodata (hostile): stores into its own read-only data (a string literal in .rodata, in
// the image's R segment). The kernel must kill the program with a page fault (write to a
// present read-only page). Surviving it exits 1; a literal outside the image exits 2.
// Expected: killed=page-fault.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    let literal: StaticString = "this text lives in .rodata"
    let address = VirtualAddress(UnsafeRawPointer(literal.utf8Start))
    let breakStart = Syscall.currentBreak()
    guard UserSpace.imageBase <= address, address < breakStart else {
        Console.line("write_rodata").word("FAILED").phrase("reason", "literal not in the image").hex("address", address.raw).end()
        return 2
    }
    Console.line("write_rodata").word("writing").hex("address", address.raw).text("expect", "page-fault").end()
    Console.flush()
    storeOpaque(address, 0x21)
    Console.line("write_rodata").word("FAILED").phrase("reason", "read-only data was writable").end()
    return 1
}

/// The store goes through a function the optimiser cannot see into, so it is really made.
@inline(never) func storeOpaque(_ address: VirtualAddress, _ value: UInt8) { address.storeByte(value) }

// protected_touch (hostile): reserves 4 pages read-only (reserved, never writable), reads them
// (zero: the shared zero frame), then writes one. The kernel must refuse the fault (the region's
// protection forbids writes, whatever is or is not backed) and kill the program with a page fault
// (cause=protection-violation). Surviving exits 1; a refused map or a non-zero read exits 2.
// Expected: killed=page-fault.
import KernelLog
import MemoryCore

@_cdecl("user_main")
func userMain() -> Int32 {
    guard let region = try? Syscall.map(length: 4 * UserSpace.pageBytes, protection: .read) else { return 2 }
    for page in 0 ..< UInt64(4) where region.adding(page * UserSpace.pageBytes)!.loadByteOpaque() != 0 { return 2 }
    Console.line("protected_touch").word("writing").hex("address", region.raw).text("expect", "page-fault").end()
    Console.flush()
    storeOpaque(region.adding(2 * UserSpace.pageBytes + 8)!, 0x5A)
    Console.line("protected_touch").word("FAILED").phrase("reason", "a read-only reservation was writable").end()
    return 1
}

/// The store goes through a function the optimiser cannot see into, so it is really made.
@inline(never) func storeOpaque(_ address: VirtualAddress, _ value: UInt8) { address.storeByte(value) }

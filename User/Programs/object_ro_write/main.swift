// object_ro_write: writes through a read-only mapping of a read-only handle. Creates an object,
// keeps only a read+map duplicate of its handle (the full one is closed), maps it read-only,
// reads it (zero: the page is committed by the read), then stores into it: the kernel must kill
// the program with a page fault (cause=protection-violation) and free the object with it.
// Expected: killed=page-fault (exit codes instead: 1 a call failed, 2 the page did not read as
// zero, 3 the store went through).
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        let object = try Syscall.objectCreate(size: 2 * 4096)
        let readOnly = try Syscall.handleDuplicate(object, rights: [.read, .map])
        try Syscall.handleClose(object)
        let view = try Syscall.objectMap(readOnly, offset: 0, length: 2 * 4096, protection: .read)
        guard MemoryProbe.isZero(view, byteCount: 4096) else { return 2 }
        Console.line("object_ro_write").word("storing").hex("address", view.raw).hex("handle", readOnly.raw)
            .phrase("rights", "read_map").phrase("expect", "killed_page-fault").end()
        Console.flush()
        view.storeByte(1)
        return 3
    } catch {
        Console.line("object_ro_write").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

// object_orphan_child: the child of object_orphan_parent (see there). Given at spawn the shared
// object (0x10001: read, write, map, transfer) and a channel endpoint (0x10002). Maps the object, checks the
// parent's pattern, tells the parent, then blocks in channel_receive: the parent's death closes
// its endpoint, so the receive answers EPIPE. After that the object must still hold the parent's
// pattern (its frames stayed); the child writes a pattern of its own over every page and checks
// it, then unmaps and closes its handle: that is the last reference, so the object's 64 frames
// go back at that close (`obj destroy frames_freed=64` at LOG=debug; the free frames across the
// close are printed).
// Started at boot by itself it has no handles: it says so and exits 0.
// Expected: exit=0. Exit codes: 1 a call failed, 2 the parent's pattern was wrong before or
// 3 after the parent died, 4 its own pattern did not hold, 5 the receive did not say EPIPE.
import KernelLog

let objectPages: UInt64 = 64
let objectBytes = objectPages * 4096
let parentSeed: UInt64 = 0x0B1E_C7
let childSeed: UInt64 = 0xC41D

@_cdecl("user_main")
func userMain() -> Int32 {
    let object = HandleValue.startup(index: 0), channel = HandleValue.startup(index: 1)
    let view: VirtualAddress
    do throws(Errno) {
        view = try Syscall.objectMap(object, offset: 0, length: objectBytes, protection: .readWrite)
    } catch {
        guard error == .badHandle else {
            Console.line("object_orphan_child").word("FAILED").text("map", error.name).end()
            return 1
        }
        Console.line("object_orphan_child").word("no-handles").phrase("note", "started_at_boot_not_by_object_orphan_parent").end()
        return 0
    }
    do throws(Errno) {
        guard MemoryProbe.holdsPattern(view, byteCount: objectBytes, seed: parentSeed) else { return 2 }
        try WordMessage(1, objectPages).send(on: channel)
        do throws(Errno) {
            _ = try WordMessage.receive(on: channel)
            return 5
        } catch {
            guard error == .brokenPipe else { return 5 }
        }
        let orphaned = try Syscall.memstat()
        Console.line("object_orphan_child").word("parent-gone").phrase("receive", "EPIPE").dec("object_pages", objectPages)
            .dec("free_frames_system", orphaned.freeFramesSystem).end()
        guard MemoryProbe.holdsPattern(view, byteCount: objectBytes, seed: parentSeed) else { return 3 }
        MemoryProbe.fill(view, byteCount: objectBytes, seed: childSeed)
        guard MemoryProbe.holdsPattern(view, byteCount: objectBytes, seed: childSeed) else { return 4 }
        try Syscall.unmap(address: view, length: objectBytes)
        let beforeClose = try Syscall.memstat()
        try Syscall.handleClose(object)
        let afterClose = try Syscall.memstat()
        // Free frames across the last close: 64 when nothing else ran in between. Printed, not
        // checked: a timer tick pending at the end of the call lets other programs allocate or
        // free before the second memstat (the kernel's own `obj destroy frames_freed=` at
        // LOG=debug and the summary's frame balance are the exact record).
        let returned = Int64(bitPattern: afterClose.freeFramesSystem &- beforeClose.freeFramesSystem)
        try Syscall.handleClose(channel)
        Console.line("object_orphan_child").word("ok").phrase("object", "read_and_written_after_the_parent_died")
            .dec("free_frames_change_at_last_close", Int(returned)).dec("free_frames_system", afterClose.freeFramesSystem).end()
        return 0
    } catch {
        Console.line("object_orphan_child").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

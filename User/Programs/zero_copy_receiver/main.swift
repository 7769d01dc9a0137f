// zero_copy_receiver: the receiving half of zero_copy_sender (see there). Given at spawn one
// channel endpoint (0x10001). Each round: receives the object's handle, maps it read-only with
// populate (one call installs every leaf: no fault per page), reads every page once (the transfer's end) and checks the whole buffer's checksum; the machine's free
// frames must not drop by the buffer's pages meanwhile (its frames are the sender's, moved, not
// copied). Then, for comparison, copies the same 4 MiB with a loop into a populated private
// buffer of its own and times that. Answers the sender, unmaps, closes the handle.
// Started at boot by itself it has no handles: it says so and exits 0.
// Expected: exit=0. Exit codes: 1 a call failed, 2 a bad checksum, 3 an unexpected message.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let channel = HandleValue.startup(index: 0)
    var first = WordMessage()
    do throws(Errno) {
        first = try WordMessage.receive(on: channel)
    } catch {
        guard error == .badHandle else {
            Console.line("zero_copy_receiver").word("FAILED").text("receive", error.name).end()
            return 1
        }
        Console.line("zero_copy_receiver").word("no-handles").phrase("note", "started_at_boot_not_by_zero_copy_sender").end()
        return 0
    }
    do throws(Errno) {
        return try receive(first, channel: channel)
    } catch {
        Console.line("zero_copy_receiver").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

private func receive(_ first: WordMessage, channel: HandleValue) throws(Errno) -> Int32 {
    var message = first
    var rounds: UInt64 = 0
    while message[0] == 1 {
        guard let object = message.handle(0) else { return 3 }
        let (round, bytes, checksum, sentAt) = (message[1], message[2], message[3], message[4])
        let before = try Syscall.memstat()
        let mapStart = Cycles.now()
        // populate: every leaf in this one call, so the reads below take no fault
        let view = try Syscall.objectMap(object, offset: 0, length: bytes, protection: .read, options: MapOptions(populate: true))
        let touchStart = Cycles.now()
        var sum: UInt64 = 0
        var offset: UInt64 = 0
        while offset < bytes {  // the first read of every page: the transfer ends here
            sum &+= UInt64(VirtualAddress(view.raw + offset).loadByteOpaque())
            offset += 4096
        }
        let arrived = Cycles.now()
        let after = try Syscall.memstat()
        let framesTaken = before.freeFramesSystem > after.freeFramesSystem ? before.freeFramesSystem - after.freeFramesSystem : 0
        let good = MemoryProbe.checksum(view, byteCount: bytes) == checksum
        // The same bytes copied by a loop into a buffer whose frames are already present.
        let copy = try Syscall.map(length: bytes, protection: .readWrite, options: MapOptions(populate: true))
        let copyStart = Cycles.now()
        MemoryProbe.copy(from: view, to: copy, byteCount: bytes)
        let copyCycles = Cycles.now() &- copyStart
        guard MemoryProbe.checksum(copy, byteCount: bytes) == checksum || !good else { return 2 }
        try Syscall.unmap(address: copy, length: bytes)
        try Syscall.unmap(address: view, length: bytes)
        try Syscall.handleClose(object)
        Console.line("zero_copy_receiver").word(good ? "verified" : "BAD-CHECKSUM").dec("round", round).size("bytes", bytes)
            .hex("checksum", checksum).dec("frames_taken", framesTaken).dec("transfer_cycles", arrived &- sentAt)
            .dec("copy_cycles", copyCycles).dec("map_cycles", touchStart &- mapStart).dec(
                "first_touch_cycles", arrived &- touchStart
            )
            .dec("page_sum", sum & 0xFF).end()
        try WordMessage(
            2, round, good ? 1 : 0, framesTaken, arrived &- sentAt, copyCycles, touchStart &- mapStart, arrived &- touchStart
        )
        .send(on: channel)
        guard good else { return 2 }
        rounds += 1
        message = try WordMessage.receive(on: channel)
    }
    guard message[0] == 3 else { return 3 }
    Console.line("zero_copy_receiver").word("ok").dec("rounds", rounds).end()
    return 0
}

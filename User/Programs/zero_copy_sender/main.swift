// zero_copy_sender (with zero_copy_receiver): a 4 MiB buffer goes from one process to another
// without its bytes being copied. Each round the sender fills a private 4 MiB mapping (populated:
// every frame present) with a pattern and its checksum, turns the range into a memory object
// (object_from_range: the frames move into the object, the range leaves this address space) and
// sends the object's handle over a channel; the receiver maps the object, reads every byte and
// checks the checksum, then answers with its timings. The last round the sender keeps a
// read-only duplicate mapped (and read: every page present) while the receiver reads, so the
// same 1024 frames are mapped in two address spaces at once (the summary's shared_frames_peak)
// and the machine's free frames do not drop by 1024 (counted once).
// Printed: per round the cycles of object_from_range, of the whole transfer (from_range + send +
// receive + map + the receiver's first read of every page, scheduling included), of its work
// alone (from_range + object_map + the first reads: no waiting for the CPU) against copying the
// same 4 MiB with a loop into a populated buffer (in the receiver, same rounds, interleaved);
// medians and min-max.
// Expected: exit=0 and a `zero_copy_sender ok` line. Exit codes: 1 a call failed, 2 the receiver
// reported a bad checksum or copied frames, 3 the receiver did not exit 0, 4 this process's pages
// did not leave it, 5 the shared mapping read wrong.
import KernelLog

let bufferBytes: UInt64 = 4 << 20
let bufferPages = bufferBytes / 4096
let rounds: UInt64 = 5

/// Channel message kinds (word 0).
enum TransferMessage {
    /// sender -> receiver: words round, bytes, checksum, TSC at object_from_range, keeps-a-mapping;
    /// handle: the object.
    static let buffer: UInt64 = 1
    /// receiver -> sender: words round, checksum ok (1), free frames taken while mapping and
    /// reading, cycles from the sender's TSC to the receiver's read done, cycles of the copy loop,
    /// of object_map, of the first read of every page.
    static let verified: UInt64 = 2
    /// sender -> receiver: no more rounds.
    static let done: UInt64 = 3
}

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        return try send()
    } catch {
        Console.line("zero_copy_sender").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

private func send() throws(Errno) -> Int32 {
    let (channel, receiverEnd) = try Syscall.channelCreate()
    let given: (UInt64, UInt64) = (receiverEnd.raw, 0)
    let receiver = try withUnsafeBytes(of: given) { (bytes) throws(Errno) -> UInt64 in
        try Syscall.spawn(
            "zero_copy_receiver", handles: UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt64.self)[0 ..< 1]))
    }
    var fromRange = CycleSamples(), transfer = CycleSamples(), work = CycleSamples(), copy = CycleSamples()
    var maxFramesTaken: UInt64 = 0, minFramesTaken = UInt64.max
    for round in 0 ..< rounds {
        let shared = round == rounds - 1
        let buffer = try Syscall.map(length: bufferBytes, protection: .readWrite, options: MapOptions(populate: true))
        MemoryProbe.fill(buffer, byteCount: bufferBytes, seed: round &+ 0x5EED)
        let checksum = MemoryProbe.checksum(buffer, byteCount: bufferBytes)
        let before = try Syscall.memstat()
        let start = Cycles.now()
        let object = try Syscall.objectFromRange(address: buffer, length: bufferBytes)
        let fromRangeCycles = Cycles.now() &- start
        fromRange.add(fromRangeCycles)
        let after = try Syscall.memstat()
        guard before.residentPages - after.residentPages == bufferPages else {
            Console.line("zero_copy_sender").word("FAILED").dec("resident_before", before.residentPages)
                .dec("resident_after", after.residentPages).end()
            return 4
        }
        var kept: (handle: HandleValue, address: VirtualAddress)? = nil
        if shared {
            let handle = try Syscall.handleDuplicate(object, rights: [.read, .map])
            let address = try Syscall.objectMap(handle, offset: 0, length: bufferBytes, protection: .read)
            // Read every page now, so this space has a leaf for each frame while the receiver maps them.
            guard MemoryProbe.checksum(address, byteCount: bufferBytes) == checksum else { return 5 }
            kept = (handle, address)
        }
        try WordMessage(TransferMessage.buffer, round, bufferBytes, checksum, start, shared ? 1 : 0, handles: object).send(
            on: channel)
        let answer = try WordMessage.receive(on: channel)
        guard answer[0] == TransferMessage.verified, answer[1] == round, answer[2] == 1 else { return 2 }
        maxFramesTaken = max(maxFramesTaken, answer[3])
        minFramesTaken = min(minFramesTaken, answer[3])
        transfer.add(answer[4])
        copy.add(answer[5])
        work.add(fromRangeCycles &+ answer[6] &+ answer[7])
        if let kept {
            let stats = try Syscall.memstat()
            Console.line("zero_copy_sender").word("shared-round").dec("round", round).dec("pages", bufferPages)
                .dec("receiver_frames_taken", answer[3]).dec("free_frames_system", stats.freeFramesSystem)
                .phrase("note", "both_processes_map_the_same_frames").end()
            try Syscall.unmap(address: kept.address, length: bufferBytes)
            try Syscall.handleClose(kept.handle)
        }
    }
    try WordMessage(TransferMessage.done).send(on: channel)
    guard let (pid, status) = try? Syscall.wait(for: receiver), pid == receiver, status == .exited(code: 0) else { return 3 }
    try Syscall.handleClose(channel)
    // A copy would take at least bufferPages frames in every round; other programs running
    // meanwhile may take some in one round or another: the least over the rounds is the measure.
    guard minFramesTaken < bufferPages else { return 2 }
    Console.line("zero_copy_sender").word("ok").size("bytes", bufferBytes).dec("pages", bufferPages).dec("rounds", rounds)
        .dec("receiver_frames_taken_min", minFramesTaken).dec("receiver_frames_taken_max", maxFramesTaken)
        .cycles("from_range_cycles_median", "from_range_cycles_min", "from_range_cycles_max", fromRange)
        .cycles("transfer_cycles_median", "transfer_cycles_min", "transfer_cycles_max", transfer)
        .cycles("transfer_work_cycles_median", "transfer_work_cycles_min", "transfer_work_cycles_max", work)
        .cycles("copy_cycles_median", "copy_cycles_min", "copy_cycles_max", copy).end()
    return 0
}

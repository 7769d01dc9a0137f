// ring_producer (with ring_consumer): a producer and a consumer running at once on a ring buffer
// in one shared memory object, waking each other with channel messages (RingLayout.swift).
// The producer creates the object (header + 256 records of 32 bytes) and a channel, spawns
// ring_consumer handing it a read/write/map duplicate of the object and one endpoint, then writes
// 10 000 records (sequence number, two pseudo-random payload words, checksum) as fast as the ring
// has room, sleeping in channel_receive when it is full. The consumer checks every record's
// sequence number and checksum and finally sends its count and the sum of the checksums, which
// must equal the producer's. Prints wake-ups and sleeps of both sides.
// Expected: exit=0 and a `ring_producer ok` line. Exit codes: 1 a call failed (named on the
// console), 2 the consumer's result differs, 3 the consumer did not exit 0, 4 the channel closed early.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    do throws(Errno) {
        return try produce()
    } catch {
        Console.line("ring_producer").word("FAILED").text("errno", error.name).end()
        return 1
    }
}

private func produce() throws(Errno) -> Int32 {
    let object = try Syscall.objectCreate(size: Ring.objectBytes)
    let base = try Syscall.objectMap(object, offset: 0, length: Ring.objectBytes, protection: .readWrite)
    let ring = Ring(base: base)
    ring.recordCount = Ring.records
    ring.slotCount = Ring.capacity
    ring.magic = Ring.magic
    let (channel, consumerEnd) = try Syscall.channelCreate()
    let forConsumer = try Syscall.handleDuplicate(object, rights: [.read, .write, .map, .transfer])
    let given: (UInt64, UInt64) = (forConsumer.raw, consumerEnd.raw)
    let consumer = try withUnsafeBytes(of: given) { (bytes) throws(Errno) -> UInt64 in
        try Syscall.spawn("ring_consumer", handles: bytes.bindMemory(to: UInt64.self))
    }
    Console.line("ring_producer").word("started").dec("consumer_pid", consumer).dec("records", Ring.records)
        .dec("capacity", Ring.capacity).hex("object_handle", object.raw).hex("ring", base.raw).end()

    var state: UInt64 = 0x0123_4567_89AB_CDEF
    var checksumSum: UInt64 = 0
    var sleeps: UInt64 = 0, wakesSent: UInt64 = 0, fullWaits: UInt64 = 0
    let start = Cycles.now()
    for sequence in 0 ..< Ring.records {
        while sequence - ring.tail >= Ring.capacity {  // full: sleep until the consumer makes room
            fullWaits += 1
            ring.producerWaiting = true
            guard sequence - ring.tail >= Ring.capacity else {
                ring.producerWaiting = false
                break
            }
            sleeps += 1
            let message = try WordMessage.receive(on: channel)
            guard message[0] == RingMessage.space else { return 4 }
        }
        state = Ring.mix(state)
        let payload = (state, Ring.mix(state ^ sequence))
        ring.write(sequence: sequence, payload: payload)
        checksumSum &+= Ring.checksum(sequence: sequence, payload: payload)
        ring.head = sequence + 1
        if ring.consumerWaiting {
            ring.consumerWaiting = false
            try WordMessage(RingMessage.data, sequence + 1).send(on: channel)
            wakesSent += 1
        }
    }
    // Stale `space` messages may still be queued: skip to the result.
    var result = WordMessage()
    repeat {
        result = try WordMessage.receive(on: channel)
    } while result[0] == RingMessage.space
    let cycles = Cycles.now() &- start
    guard let (pid, status) = try? Syscall.wait(for: consumer), pid == consumer else { return 3 }
    Console.line("ring_producer").word("consumer-result").dec("consumed", result[1]).hex("checksum_sum", result[2])
        .dec("bad_records", result[3]).dec("consumer_wakes_sent", result[4]).dec("consumer_sleeps", result[5]).end()
    guard result[0] == RingMessage.result, result[1] == Ring.records, result[2] == checksumSum, result[3] == 0 else {
        Console.line("ring_producer").word("FAILED").hex("expected_checksum_sum", checksumSum).end()
        return 2
    }
    guard status == .exited(code: 0) else { return 3 }
    try Syscall.unmap(address: base, length: Ring.objectBytes)
    try Syscall.handleClose(object)
    try Syscall.handleClose(channel)
    Console.line("ring_producer").word("ok").dec("records", Ring.records).hex("checksum_sum", checksumSum)
        .dec("producer_sleeps", sleeps).dec("producer_full_waits", fullWaits).dec("producer_wakes_sent", wakesSent)
        .dec("cycles_per_record", cycles / Ring.records).end()
    return 0
}

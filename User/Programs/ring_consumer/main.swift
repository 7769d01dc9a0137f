// ring_consumer: the consuming half of ring_producer (see there and RingLayout.swift). Given at
// spawn the ring's object (0x10001: read, write, map, transfer) and a channel endpoint (0x10002). Checks
// every record: its sequence number is the next expected one and its checksum matches its words;
// sleeps in channel_receive when the ring is empty; at the end sends the count consumed, the sum
// of the checksums and the number of bad records to the producer.
// Started at boot by itself (it is a boot module so that ring_producer can spawn it) it has no
// handles: it says so and exits 0.
// Expected: exit=0. Exit codes: 1 a call failed, 2 bad records, 3 wrong ring header, 4 the
// channel closed early.
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let object = HandleValue.startup(index: 0), channel = HandleValue.startup(index: 1)
    let base: VirtualAddress
    do throws(Errno) {
        base = try Syscall.objectMap(object, offset: 0, length: Ring.objectBytes, protection: .readWrite)
    } catch {
        guard error == .badHandle else {
            Console.line("ring_consumer").word("FAILED").text("map", error.name).end()
            return 1
        }
        Console.line("ring_consumer").word("no-handles").phrase("note", "started_at_boot_not_by_ring_producer").end()
        return 0
    }
    do throws(Errno) {
        return try consume(Ring(base: base), channel: channel)
    } catch {
        Console.line("ring_consumer").word("FAILED").text("errno", error.name).end()
        return error == .brokenPipe ? 4 : 1
    }
}

private func consume(_ ring: Ring, channel: HandleValue) throws(Errno) -> Int32 {
    guard ring.magic == Ring.magic, ring.slotCount == Ring.capacity else { return 3 }
    let total = ring.recordCount
    var checksumSum: UInt64 = 0, bad: UInt64 = 0, sleeps: UInt64 = 0, wakesSent: UInt64 = 0
    var sequence: UInt64 = 0
    while sequence < total {
        while ring.head == sequence {  // empty: sleep until the producer publishes
            ring.consumerWaiting = true
            guard ring.head == sequence else {
                ring.consumerWaiting = false
                break
            }
            sleeps += 1
            let message = try WordMessage.receive(on: channel)
            guard message[0] == RingMessage.data else { return 4 }
        }
        let head = ring.head
        while sequence < head {
            let record = ring.read(sequence: sequence)
            if record.sequence != sequence || record.checksum != Ring.checksum(sequence: record.sequence, payload: record.payload)
            {
                if bad == 0 {
                    Console.line("ring_consumer").word("bad-record").dec("expected_sequence", sequence)
                        .dec("found_sequence", record.sequence).hex("checksum", record.checksum).end()
                }
                bad += 1
            }
            checksumSum &+= record.checksum
            sequence += 1
            ring.tail = sequence
        }
        if ring.producerWaiting {
            ring.producerWaiting = false
            try WordMessage(RingMessage.space, sequence).send(on: channel)
            wakesSent += 1
        }
    }
    try WordMessage(RingMessage.result, sequence, checksumSum, bad, wakesSent, sleeps).send(on: channel)
    Console.line("ring_consumer").word(bad == 0 ? "ok" : "FAILED").dec("records", sequence).dec("bad_records", bad)
        .hex("checksum_sum", checksumSum).dec("sleeps", sleeps).dec("wakes_sent", wakesSent).end()
    return bad == 0 ? 0 : 2
}

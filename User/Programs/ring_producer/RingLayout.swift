// The ring buffer ring_producer and ring_consumer share: one memory object, mapped read-write by
// both. (This file is ring_producer's; ring_consumer links the same file through a symlink.)
//
// Page 0 is the header, one field per 64-byte line:
//   0 magic   64 records in the run   128 capacity (records)
//   192 head (records published: the producer's count)   256 tail (records consumed)
//   320 producer waiting (1: asleep in channel_receive for space)   384 consumer waiting (for data)
// Pages 1... hold `capacity` records of 32 bytes: sequence number, two payload words, checksum.
// Record i lives in slot i % capacity; the ring holds head - tail records (0 ... capacity).
//
// The two processes run on one CPU under the preemptive scheduler. Each side only writes its own
// counter and its own waiting flag (and clears the other's flag before waking it), so a plain
// store is enough; every access goes through an opaque function so the compiler neither caches a
// field across a loop nor drops a store. Sleeping: set your flag, re-check, then block in
// channel_receive; the other side, after moving its counter, wakes you by a message when your
// flag is set. A wake-up that comes late is harmless (the loop re-checks), one never comes
// missing: the flag is set before the re-check.

/// Channel message kinds (word 0).
enum RingMessage {
    /// producer -> consumer: records were published.
    static let data: UInt64 = 1
    /// consumer -> producer: records were consumed (room in the ring).
    static let space: UInt64 = 2
    /// consumer -> producer: the run is over; words: count consumed, sum of checksums, errors.
    static let result: UInt64 = 3
}

struct Ring {
    static let magic: UInt64 = 0x5249_4E47_5357_4D4D  // "RINGSWMM"
    static let records: UInt64 = 10_000
    static let capacity: UInt64 = 256
    static let recordBytes: UInt64 = 32
    static let headerBytes: UInt64 = 4096
    /// The object's size: header plus the record pages.
    static let objectBytes: UInt64 = headerBytes + capacity * recordBytes

    let base: VirtualAddress

    private static let magicOffset: UInt64 = 0, recordsOffset: UInt64 = 64, capacityOffset: UInt64 = 128
    private static let headOffset: UInt64 = 192, tailOffset: UInt64 = 256
    private static let producerWaitingOffset: UInt64 = 320, consumerWaitingOffset: UInt64 = 384

    var magic: UInt64 {
        get { load(Self.magicOffset) }
        nonmutating set { store(Self.magicOffset, newValue) }
    }
    var recordCount: UInt64 {
        get { load(Self.recordsOffset) }
        nonmutating set { store(Self.recordsOffset, newValue) }
    }
    var slotCount: UInt64 {
        get { load(Self.capacityOffset) }
        nonmutating set { store(Self.capacityOffset, newValue) }
    }
    var head: UInt64 {
        get { load(Self.headOffset) }
        nonmutating set { store(Self.headOffset, newValue) }
    }
    var tail: UInt64 {
        get { load(Self.tailOffset) }
        nonmutating set { store(Self.tailOffset, newValue) }
    }
    var producerWaiting: Bool {
        get { load(Self.producerWaitingOffset) != 0 }
        nonmutating set { store(Self.producerWaitingOffset, newValue ? 1 : 0) }
    }
    var consumerWaiting: Bool {
        get { load(Self.consumerWaitingOffset) != 0 }
        nonmutating set { store(Self.consumerWaitingOffset, newValue ? 1 : 0) }
    }

    /// Writes record `sequence` into its slot.
    func write(sequence: UInt64, payload: (UInt64, UInt64)) {
        let offset = Self.headerBytes + (sequence % Self.capacity) * Self.recordBytes
        store(offset, sequence)
        store(offset + 8, payload.0)
        store(offset + 16, payload.1)
        store(offset + 24, Self.checksum(sequence: sequence, payload: payload))
    }

    /// Reads the record in the slot of `sequence`: its stored sequence, payload and checksum.
    func read(sequence: UInt64) -> (sequence: UInt64, payload: (UInt64, UInt64), checksum: UInt64) {
        let offset = Self.headerBytes + (sequence % Self.capacity) * Self.recordBytes
        return (load(offset), (load(offset + 8), load(offset + 16)), load(offset + 24))
    }

    /// The checksum a record must carry: a mix of all three words (a torn or stale record fails it).
    static func checksum(sequence: UInt64, payload: (UInt64, UInt64)) -> UInt64 {
        mix(sequence ^ mix(payload.0 ^ 0x5151) ^ (payload.1 << 17 | payload.1 >> 47))
    }

    /// splitmix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private func load(_ offset: UInt64) -> UInt64 { sharedLoad(base.raw + offset) }
    private func store(_ offset: UInt64, _ value: UInt64) { sharedStore(base.raw + offset, value) }
}

/// Accesses to memory another process writes: opaque to the optimiser (never cached, never dropped).
@inline(never) func sharedLoad(_ address: UInt64) -> UInt64 {
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(address))!.pointee
}

@inline(never) func sharedStore(_ address: UInt64, _ value: UInt64) {
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(address))!.pointee = value
}

// ChunkMemory: the only file of the arena that reads or writes raw memory.
//
// A chunk is one mapping from the page source; its first `ChunkHeader.byteCount` bytes hold the
// header, the rest is handed out by pointer bumps. Chunks form a chain from the newest (the
// arena's current chunk) back to the oldest through `previous`.

/// The header at the start of every arena chunk.
@usableFromInline struct ChunkHeader {
    /// Base address of the chunk mapped before this one (0: this is the oldest).
    @usableFromInline var previous: UInt
    /// Bytes of the mapping (a positive multiple of the page size).
    @usableFromInline var byteCount: UInt
    /// The arena's chunk serial number at mapping time: marks name a chunk by base AND serial,
    /// so a mark cannot match a later chunk that the source happens to place at the same address.
    @usableFromInline var serial: UInt
    @usableFromInline var reserved: UInt = 0

    @inlinable init(previous: UInt, byteCount: UInt, serial: UInt) {
        self.previous = previous
        self.byteCount = byteCount
        self.serial = serial
    }

    /// Header bytes at the chunk's start (a multiple of 16: the default alignment costs nothing).
    @inlinable static var byteCount: Int { MemoryLayout<ChunkHeader>.stride }
}

/// A typed handle on one chunk of arena memory.
@usableFromInline struct ChunkRef {
    @usableFromInline let base: UInt

    @inlinable init(base: UInt) { self.base = base }

    @inlinable var header: ChunkHeader {
        get { UnsafeRawPointer(bitPattern: base)!.load(as: ChunkHeader.self) }
        nonmutating set { UnsafeMutableRawPointer(bitPattern: base)!.storeBytes(of: newValue, as: ChunkHeader.self) }
    }

    /// The first byte after the header, and one past the chunk's last byte.
    @inlinable var payloadStart: UInt { base &+ UInt(ChunkHeader.byteCount) }
    @inlinable var end: UInt { base &+ header.byteCount }

    @inlinable var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: base)! }
}

/// The pointer a bump handed out (non-zero: it lies inside a mapped chunk).
@inlinable @inline(__always) func arenaPointer(_ address: UInt) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
}

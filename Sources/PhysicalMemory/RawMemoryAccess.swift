// Every raw-pointer read and write of the PhysicalMemory module lives in this file.
//
// Two things touch memory that Swift does not own: the multiboot memory-map bytes the boot loader
// left behind, and the frame allocator's metadata words in storage the caller hands over. Each
// entry point below states its contract; everything else in the module works with typed values.

// MARK: - Firmware bytes

/// Reads a little-endian UInt32 at `offset`.
/// Contract: `offset >= 0` and `offset + 4 <= bytes.count` (the parser checks before calling).
func loadLittleEndianUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    precondition(offset >= 0 && offset + 4 <= bytes.count, "multiboot read past the buffer")
    return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Reads a little-endian UInt64 at `offset`.
/// Contract: `offset >= 0` and `offset + 8 <= bytes.count`.
func loadLittleEndianUInt64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    precondition(offset >= 0 && offset + 8 <= bytes.count, "multiboot read past the buffer")
    return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

// MARK: - Metadata words

/// `count` UInt64 words of caller-provided storage, read and written in place.
///
/// A view, not an owner: copies of a `MetadataWords` refer to the same words, which is what lets
/// `FrameAllocator` keep all of its mutable state in the storage (see FrameAllocator.swift).
@usableFromInline struct MetadataWords {
    @usableFromInline let base: UnsafeMutablePointer<UInt64>
    @usableFromInline let count: Int

    /// Binds the first `count` words of `storage`.
    /// Contract: `storage` is 8-byte aligned, at least `count * 8` bytes long, stays allocated and
    /// is used by nothing else for as long as any view of it is alive. The caller (FrameAllocator's
    /// initialiser) has checked alignment and length; ownership is the kernel's promise.
    init(binding storage: UnsafeMutableRawPointer, count: Int) {
        precondition(Int(bitPattern: storage) & 7 == 0, "metadata storage must be 8-byte aligned")
        base = storage.bindMemory(to: UInt64.self, capacity: count)
        self.count = count
    }

    /// A view of no words at all (the empty allocator's). Its base is never dereferenced: every
    /// access is guarded by `count` (checked in debug builds).
    static var none: MetadataWords { MetadataWords() }

    private init() {
        base = UnsafeMutablePointer(bitPattern: MemoryLayout<UInt64>.alignment)!
        count = 0
    }

    /// Word `index`. Contract: 0 <= index < count (checked in debug builds).
    @inlinable @inline(__always) subscript(index: Int) -> UInt64 {
        get {
            assert(index >= 0 && index < count, "metadata word index out of range")
            return base[index]
        }
        nonmutating set {
            assert(index >= 0 && index < count, "metadata word index out of range")
            base[index] = newValue
        }
    }

    /// Sets words [start, start + length) to `value`. Contract: the range lies inside [0, count).
    func fill(from start: Int, count length: Int, with value: UInt64) {
        precondition(start >= 0 && length >= 0 && start + length <= count, "metadata fill out of range")
        (base + start).update(repeating: value, count: length)
    }
}

// The only file in BuddyHeap that turns addresses into raw pointers and dereferences them.
//
// Everything else in the module works with `VirtualAddress` values and calls these functions.
// Each entry point states its contract; the callers uphold it by construction (an address is
// only ever formed from an arena the heap holds, a block the side table says is free, or the
// arena's carved metadata region).

import MemoryCore

@usableFromInline enum BlockMemory {
    /// The pointer for an address. Contract: `address` is non-zero and names memory the heap owns
    /// or hands out (the caller decides what it may do with it). Non-zero holds by construction:
    /// every address the heap forms lies in an arena, whose base came from a (non-null) pointer,
    /// at a non-negative offset, or is a list link, which is only followed when non-zero. So the
    /// conversion skips the nil check (one test and branch per memory access on the hot paths).
    @inlinable @inline(__always)
    static func pointer(_ address: VirtualAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address.raw)).unsafelyUnwrapped
    }

    /// The address a pointer holds. Pure arithmetic: never dereferences.
    @inlinable @inline(__always)
    static func address(_ pointer: UnsafeMutableRawPointer) -> VirtualAddress {
        VirtualAddress(UInt64(UInt(bitPattern: pointer)))
    }

    /// Reads the 8-byte word at `address`. Contract: 8-byte aligned, inside an arena's metadata
    /// region, inside a block the side table marks free or cached, or the trailer word of an
    /// allocated block when trailers are on (the only caller-block bytes the heap touches).
    @inlinable @inline(__always) static func loadWord(_ address: VirtualAddress) -> UInt64 {
        pointer(address).load(as: UInt64.self)
    }

    /// Writes the 8-byte word at `address`. Contract: as for `loadWord`.
    @inlinable @inline(__always) static func storeWord(_ value: UInt64, _ address: VirtualAddress) {
        pointer(address).storeBytes(of: value, as: UInt64.self)
    }

    /// Reads one byte. Contract: inside an arena's node table.
    @inlinable @inline(__always) static func loadByte(_ address: VirtualAddress) -> UInt8 {
        pointer(address).load(as: UInt8.self)
    }

    /// Writes one byte. Contract: inside an arena's node table.
    @inlinable @inline(__always) static func storeByte(_ value: UInt8, _ address: VirtualAddress) {
        pointer(address).storeBytes(of: value, as: UInt8.self)
    }

    /// Fills [address, address + byteCount) with `byte`. Contract: the range lies inside one block
    /// the heap is handing out, taking back, or holds as metadata.
    static func fill(_ address: VirtualAddress, byteCount: Int, with byte: UInt8) {
        if byteCount <= 0 { return }
        pointer(address).initializeMemory(as: UInt8.self, repeating: byte, count: byteCount)
    }

    /// The offset of the first byte in [address, address + byteCount) that differs from `byte`,
    /// or nil when all match. Contract: as for `fill`; any alignment (red zones start wherever the
    /// caller's bytes end). Compares a word at a time.
    static func firstMismatch(_ address: VirtualAddress, byteCount: Int, expected byte: UInt8) -> Int? {
        let base = pointer(address)
        let word = UInt64(byte) &* 0x0101_0101_0101_0101
        var offset = 0
        while offset + 8 <= byteCount {
            if base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != word { break }
            offset += 8
        }
        while offset < byteCount {
            if base.load(fromByteOffset: offset, as: UInt8.self) != byte { return offset }
            offset += 1
        }
        return nil
    }
}

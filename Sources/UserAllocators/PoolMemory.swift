// PoolMemory: the only file of the pool that reads or writes raw memory.
//
// The pool's single mapping: `capacity` slots of `slotByteCount` bytes from the base, then the
// in-use bitmap (one bit per slot, 64 per word; 1 = handed out). A free slot's first word holds
// the address of the next free slot (0 ends the list).

/// The pool's mapping, reached through typed accessors.
@usableFromInline struct PoolMemory {
    @usableFromInline let base: UInt
    @usableFromInline let bitmap: UInt

    @inlinable init(base: UInt, bitmap: UInt) {
        self.base = base
        self.bitmap = bitmap
    }

    /// The next-free link stored in free slot `slot`.
    @inlinable @inline(__always) func link(of slot: UInt) -> UInt {
        UnsafeRawPointer(bitPattern: slot).unsafelyUnwrapped.load(as: UInt.self)
    }

    @inlinable @inline(__always) func setLink(of slot: UInt, to next: UInt) {
        UnsafeMutableRawPointer(bitPattern: slot).unsafelyUnwrapped.storeBytes(of: next, as: UInt.self)
    }

    /// In-use bitmap word `index` (index < ceil(capacity / 64)).
    @inlinable @inline(__always) func bitmapWord(_ index: Int) -> UInt64 {
        UnsafeRawPointer(bitPattern: bitmap).unsafelyUnwrapped.load(fromByteOffset: index &* 8, as: UInt64.self)
    }

    @inlinable @inline(__always) func setBitmapWord(_ index: Int, to value: UInt64) {
        UnsafeMutableRawPointer(bitPattern: bitmap).unsafelyUnwrapped.storeBytes(
            of: value, toByteOffset: index &* 8, as: UInt64.self)
    }

    @inlinable var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: base).unsafelyUnwrapped }

    @inlinable @inline(__always) static func pointer(_ slot: UInt) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: slot).unsafelyUnwrapped
    }
}

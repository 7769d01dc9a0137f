// Byte patterns written into live blocks and checked before they are freed: shared by the heap
// tests (BuddyHeap, UserMalloc) and the fuzz targets, so a block another one overwrote is caught.
#if canImport(Glibc)
import Glibc
#endif

/// Fills `byteCount` bytes with `pattern`.
public func fill(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int, with pattern: UInt8) {
    memset(pointer, Int32(pattern), byteCount)
}

/// Whether all `byteCount` bytes equal `pattern` (memcmp of the block against itself shifted by
/// one byte proves all bytes equal, at memcmp speed even in debug builds).
public func holds(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int, _ pattern: UInt8) -> Bool {
    guard byteCount > 0 else { return true }
    return pointer.load(as: UInt8.self) == pattern && memcmp(pointer, pointer + 1, byteCount - 1) == 0
}

// The malloc family under its C names, for Swift programs that test the allocator: they call
// the functions runtime.c's malloc/free/calloc/realloc shims forward to (Swift may not reference
// the C names `malloc` and `free` itself: they are reserved for the Swift runtime). Swift's own
// allocations reach the same heap through the posix_memalign and free shims.

enum CAllocation {
    static func malloc(_ byteCount: Int) -> UnsafeMutableRawPointer? { swiftmmHeapAllocate(byteCount) }
    static func free(_ pointer: UnsafeMutableRawPointer?) { swiftmmHeapFree(pointer) }
    static func calloc(_ count: Int, _ byteCount: Int) -> UnsafeMutableRawPointer? { swiftmmHeapAllocateZeroed(count, byteCount) }
    static func realloc(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int) -> UnsafeMutableRawPointer? {
        swiftmmHeapReallocate(pointer, byteCount)
    }
    static func usableSize(_ pointer: UnsafeMutableRawPointer?) -> Int { swiftmmHeapUsableSize(pointer) }
}

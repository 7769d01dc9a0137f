// The kernel heap (wired to the buddy allocator in BuddyHeap).
enum HeapClient { case swiftRuntime, kernel }
enum KernelHeap {
    static func allocate(byteCount: Int, alignment: Int, for client: HeapClient) -> UnsafeMutableRawPointer? {
        panic("heap allocation before the heap exists", "bytes", UInt64(byteCount))
    }
    static func free(_ pointer: UnsafeMutableRawPointer, for client: HeapClient) {
        panic("heap free before the heap exists", "pointer", UInt64(UInt(bitPattern: pointer)))
    }
}

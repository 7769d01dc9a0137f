// Run-time debug switches: cheap to leave off, O(block size) per operation when on.

/// Debug behaviour that can be switched on and off while the heap is in use.
public struct HeapDebugOptions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fill every freed block with `HeapDebugOptions.poisonByte` (except the 16 bytes of list
    /// links) and verify the fill when the block is handed out again: a write after free is
    /// reported as a `HeapEvent.useAfterFreeWrite` and counted in the statistics, never trapped.
    /// Switching it on poisons every block that is already free.
    public static let poisonFreed = HeapDebugOptions(rawValue: 1 << 0)
    /// Fill every newly handed-out block with `HeapDebugOptions.allocatedByte`, so code that reads
    /// memory it never wrote sees a recognisable pattern instead of stale data.
    public static let fillAllocated = HeapDebugOptions(rawValue: 1 << 1)

    /// The byte freed blocks are filled with.
    public static let poisonByte: UInt8 = 0xDB
    /// The byte new blocks are filled with.
    public static let allocatedByte: UInt8 = 0xA5
}

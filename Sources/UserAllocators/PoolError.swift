// Why an ObjectPool refused a request. The pool is unchanged by a refusal (except its counters).

import MemoryCore

/// An ObjectPool request that could not be served, or a put it would not accept.
public enum PoolError: Error, Equatable, Sendable {
    /// The slot size given to init was zero or negative.
    case invalidSlotSize(Int)
    /// The capacity given to init was zero or negative.
    case invalidCapacity(Int)
    /// slots * slot size (plus the in-use bitmap) does not fit in a machine word.
    case sizeOverflow
    /// The page source could not supply the pool's pages.
    case outOfMemory
    /// get(): every slot is in use.
    case exhausted
    /// put(): the pointer is not inside this pool's slots.
    case foreignPointer(VirtualAddress)
    /// put(): the pointer is inside the pool but not at the start of a slot.
    case misalignedPointer(VirtualAddress)
    /// put(): the slot is already free.
    case doublePut(VirtualAddress)

    /// A fixed message for the console (Embedded Swift: no String formatting needed).
    @inlinable public var message: StaticString {
        switch self {
        case .invalidSlotSize: "pool: slot size must be positive"
        case .invalidCapacity: "pool: capacity must be positive"
        case .sizeOverflow: "pool: size arithmetic overflows"
        case .outOfMemory: "pool: page source out of memory"
        case .exhausted: "pool: every slot is in use"
        case .foreignPointer: "pool: put of a pointer this pool never returned"
        case .misalignedPointer: "pool: put of a pointer into the middle of a slot"
        case .doublePut: "pool: put of a slot that is already free"
        }
    }
}

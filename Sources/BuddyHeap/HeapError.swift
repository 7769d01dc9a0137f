// Typed errors and events: every rejection names its reason; nothing in the heap changes on error.

import MemoryCore

/// Why `free` refused a pointer. The heap's state is unchanged after each of these.
public enum HeapError: Error, Hashable, Sendable {
    /// A refusal every heap shares (foreign, misaligned, interior, never allocated, double free).
    /// Misaligned: not a multiple of the 16-byte block granule. Interior: inside an allocated block
    /// or large allocation (the block start is always known). Never allocated: inside a free or
    /// cached block, not at its start.
    case misuse(HeapFailure)
    /// The pointer lies in an arena's carved metadata (node table and header).
    case heapMetadataPointer(VirtualAddress)

    @inlinable public static func foreignPointer(_ a: VirtualAddress) -> HeapError { .misuse(.foreignPointer(a)) }
    @inlinable public static func misalignedPointer(_ a: VirtualAddress) -> HeapError { .misuse(.misalignedPointer(a)) }
    @inlinable public static func interiorPointer(_ a: VirtualAddress, blockStart: VirtualAddress) -> HeapError {
        .misuse(.interiorPointer(a, blockStart: blockStart))
    }
    @inlinable public static func neverAllocated(_ a: VirtualAddress) -> HeapError { .misuse(.neverAllocated(a)) }
    @inlinable public static func doubleFree(_ a: VirtualAddress) -> HeapError { .misuse(.doubleFree(a)) }

    /// One token for the kernel's `bad-free` line: the shared name, or this heap's own.
    @inlinable public var name: StaticString {
        switch self {
        case .misuse(let failure): failure.name
        case .heapMetadataPointer: "heap-metadata-pointer"
        }
    }
}

/// Why an allocation failed (the typed-throws variant of `allocate`).
public enum AllocationError: Error, Hashable, Sendable {
    /// No block fits and the source gave no more memory (or the arena table is full).
    case outOfMemory
    case negativeByteCount
    /// The alignment is not a power of two, or exceeds the largest block.
    case invalidAlignment
    /// A large request whose size overflows when rounded up to whole frames.
    case byteCountTooLarge
    /// The table of large allocations is full.
    case tooManyLargeAllocations
}

/// Something the heap noticed and survived; the latest is kept in `BuddyHeap.lastEvent`.
public enum HeapEvent: Hashable, Sendable {
    /// A freed block's poison was overwritten before the block was handed out again. `offset` is
    /// the first damaged byte from the block's start.
    case useAfterFreeWrite(block: VirtualAddress, order: BlockOrder, offset: Int)
    /// With trailers on: a block's red zone or trailer was damaged when it was freed (a write past
    /// the requested end). `offset` is the first damaged byte from the block's start.
    case redZoneOverwritten(block: VirtualAddress, order: BlockOrder, offset: Int)
    /// The source returned an arena that is not aligned to its size (given back untouched), or
    /// one that is already held or overlaps a large allocation (left alone: the source is broken).
    case sourceReturnedBadArena(VirtualAddress)
    /// The source returned a large region that is misaligned or overlaps a tracked one: it was
    /// given back untouched.
    case sourceReturnedBadLargeRegion(VirtualAddress)
}

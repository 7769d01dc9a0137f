// Errors a UserHeap reports.
//
// Two families, kept apart because callers handle them differently:
// - `HeapError`: the program handed the heap something it never gave out (a foreign or interior
//   pointer, a double free), or the heap's metadata is damaged. These go to the caller-supplied
//   handler (a user program prints the message and exits with a distinct code); the heap changes
//   nothing when it reports one.
// - `MallocErrno`: the errno-style result of posix_memalign (EINVAL, ENOMEM).
// Plain out-of-memory from malloc/calloc/realloc is not an error value: they return nil.

import MemoryCore

/// Misuse of the heap or damage to its metadata, with the address involved.
public enum HeapError: Error, Equatable, Sendable {
    /// A refusal every heap shares. Foreign: not inside any span, region or large block this heap
    /// manages. Interior: inside heap memory but not at the start of a block (or in a header).
    /// Never allocated: a slot start beyond the span's carved part. Double free: already free.
    case misuse(HeapFailure)
    /// A span, region or large-block header failed its canary check (address of the header).
    case corruptedHeader(VirtualAddress)
    /// A free-list link points outside its span, off a slot boundary or at a live block
    /// (address of the damaged link's block).
    case corruptedFreeList(VirtualAddress)
    /// A medium block's boundary tags disagree (address of the block header).
    case corruptedBoundaryTag(VirtualAddress)

    @inlinable public static func foreignPointer(_ a: VirtualAddress) -> HeapError { .misuse(.foreignPointer(a)) }
    /// Where the block starts is not worked out on this path (it would cost the fast path).
    @inlinable public static func interiorPointer(_ a: VirtualAddress) -> HeapError {
        .misuse(.interiorPointer(a, blockStart: nil))
    }
    @inlinable public static func neverAllocated(_ a: VirtualAddress) -> HeapError { .misuse(.neverAllocated(a)) }
    @inlinable public static func doubleFree(_ a: VirtualAddress) -> HeapError { .misuse(.doubleFree(a)) }

    /// A stable small number per kind: a user program exits with 100 + this code.
    @inlinable public var code: Int {
        switch self {
        case .misuse(.foreignPointer), .misuse(.misalignedPointer): 1
        case .misuse(.interiorPointer): 2
        case .misuse(.neverAllocated): 3
        case .misuse(.doubleFree): 4
        case .corruptedHeader: 5
        case .corruptedFreeList: 6
        case .corruptedBoundaryTag: 7
        }
    }

    /// The address the report is about.
    @inlinable public var address: VirtualAddress {
        switch self {
        case .misuse(let failure): failure.address
        case .corruptedHeader(let a), .corruptedFreeList(let a), .corruptedBoundaryTag(let a): a
        }
    }

    /// A one-token name for log lines (`kind=double-free`): the user runtime's report and
    /// libswiftmm's both print it. The shared kinds use HeapFailure's names.
    @inlinable public var kindName: StaticString {
        switch self {
        case .misuse(let failure): failure.name
        case .corruptedHeader: "corrupted-header"
        case .corruptedFreeList: "corrupted-free-list"
        case .corruptedBoundaryTag: "corrupted-boundary-tag"
        }
    }

    /// A fixed message for the console (Embedded Swift: no String formatting needed).
    @inlinable public var message: StaticString {
        switch self {
        case .misuse(.foreignPointer), .misuse(.misalignedPointer): "free/realloc of a pointer this heap never returned"
        case .misuse(.interiorPointer): "free/realloc of a pointer into the middle of a block"
        case .misuse(.neverAllocated): "free/realloc of a slot that was never allocated"
        case .misuse(.doubleFree): "double free"
        case .corruptedHeader: "heap header canary damaged"
        case .corruptedFreeList: "heap free list damaged"
        case .corruptedBoundaryTag: "heap block boundary tag damaged"
        }
    }
}

/// posix_memalign's error results, with the C errno values.
public enum MallocErrno: Int32, Error, Equatable, Sendable {
    /// EINVAL: alignment is not a power of two multiple of sizeof(void *).
    case invalidArgument = 22
    /// ENOMEM: the page source could not supply the memory.
    case outOfMemory = 12
}

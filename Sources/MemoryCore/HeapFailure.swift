// HeapFailure: the one vocabulary for a pointer a heap refused, shared by every heap of the
// project (the kernel's BuddyHeap and the user-space UserHeap). Each heap's own error type wraps
// it (`.misuse(HeapFailure)`) and adds what only it can report (BuddyHeap: a pointer into an
// arena's metadata; UserHeap: damaged headers, free lists and boundary tags). The heap that
// reports one of these has changed nothing.

/// A pointer handed to free (or realloc, or a size query) that the heap did not hand out as is.
public enum HeapFailure: Error, Hashable, Sendable {
    /// The pointer lies in no memory the heap manages.
    case foreignPointer(VirtualAddress)
    /// The pointer lies in heap memory but is not a multiple of the heap's smallest alignment.
    case misalignedPointer(VirtualAddress)
    /// The pointer lies inside a block that is in use, not at its start. `blockStart` when the
    /// heap knows where the block starts.
    case interiorPointer(VirtualAddress, blockStart: VirtualAddress?)
    /// The pointer is in heap memory the heap never handed out at that address (inside a free
    /// block, or a slot beyond the part of a span carved so far).
    case neverAllocated(VirtualAddress)
    /// The pointer is the start of a block that is already free.
    case doubleFree(VirtualAddress)

    /// The pointer the report is about.
    @inlinable public var address: VirtualAddress {
        switch self {
        case .foreignPointer(let a), .misalignedPointer(let a), .interiorPointer(let a, _), .neverAllocated(let a),
            .doubleFree(let a):
            a
        }
    }

    /// One token for log lines (`error=double-free`, `kind=double-free`): the kernel's bad-free line,
    /// the user runtime's and libswiftmm's misuse reports all print this.
    @inlinable public var name: StaticString {
        switch self {
        case .foreignPointer: "foreign-pointer"
        case .misalignedPointer: "misaligned-pointer"
        case .interiorPointer: "interior-pointer"
        case .neverAllocated: "never-allocated"
        case .doubleFree: "double-free"
        }
    }
}

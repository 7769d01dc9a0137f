// A page fault as the fault handler sees it, and what resolving it did or why it was refused.
// The decision order is ProcessMemory.resolveFault's (ProcessMemory+Faults.swift): user or kernel
// mode; a region covers the address; the region's permissions allow the access; then not-present
// (demand-zero, the shared zero frame) versus present (the zero frame's first write).
import MemoryCore
import MemoryObjects

public enum FaultAccess: Hashable, Sendable {
    case read, write, execute

    public var name: StaticString {
        switch self {
        case .read: "read"
        case .write: "write"
        case .execute: "execute"
        }
    }
}

/// One fault: the x86 error code and CR2, decoded.
public struct PageFault: Hashable, Sendable {
    public var address: VirtualAddress
    public var access: FaultAccess
    /// The page was present (a protection fault), else not present.
    public var wasPresent: Bool
    /// Raised by ring 3 (the user bit of the error code), else by the kernel.
    public var fromUser: Bool

    public init(address: VirtualAddress, access: FaultAccess, wasPresent: Bool, fromUser: Bool) {
        self.address = address
        self.access = access
        self.wasPresent = wasPresent
        self.fromUser = fromUser
    }
}

/// How a fault was resolved.
public enum FaultResolution: Hashable, Sendable {
    /// A fresh zeroed private frame was mapped (a first write, or any touch of populated-later
    /// charged memory that is written).
    case zeroFill
    /// The shared zero frame was mapped read-only (a first read).
    case zeroFrame
    /// A write to a page on the shared zero frame: a private zeroed frame replaced it.
    case zeroFrameReplaced
    /// The page already allows the access (another path resolved it first).
    case alreadyResolved
    /// A page of a memory object (commit, CoW copy or reuse, or its frame mapped as it is). After
    /// a `.cowCopy` the machine reconciles the page's other mappings (ProcessMemory.staleObjectPages).
    case object(ObjectFault)
}

/// Why a fault is not the process's to continue from: the kernel kills it, naming the cause.
public enum FaultRefusal: Error, Hashable, Sendable {
    /// The kernel itself faulted (a kernel bug: fatal).
    case kernelMode
    /// Outside user space.
    case kernelMemory
    /// In the stack guard gap.
    case stackGuardGap
    /// No region covers the address.
    case notMapped
    /// A region covers it, but its protection forbids the access.
    case protectionViolation
    /// Committed memory found no frame: something took frames behind the commit ledger's back
    /// (a kernel bug; the process is killed, the kernel carries on).
    case noFrame

    public var name: StaticString {
        switch self {
        case .kernelMode: "kernel-mode"
        case .kernelMemory: "kernel-memory"
        case .stackGuardGap: "stack-guard-gap"
        case .notMapped: "not-mapped"
        case .protectionViolation: "protection-violation"
        case .noFrame: "no-frame"
        }
    }
}

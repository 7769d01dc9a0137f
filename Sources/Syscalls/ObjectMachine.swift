// What the object calls (ObjectCalls.swift) need from the kernel: the caller's memory, the kernel's
// objects with the caller's handle table, every other process that maps an object, and the
// scheduler for a blocking receive. The kernel implements it over its process list and scheduler
// (Kernel/Process); host doubles over simulated processes (Tests/SyscallsTests).
//
// Exclusivity: each method is one access to one thing. The caller's memory is changed only inside
// `withCallerMemory`; the walk over every process's mappings (`reconcileMappings`) is a separate
// step taken after it, so it may change the caller's memory too (the caller may map an object
// twice). Object pages left stale by a fault inside a call (a CoW copy while the kernel wrote to
// a buffer) are queued in ProcessMemory.staleObjectPages and reconciled by ObjectCalls after the
// step; the kernel does the same after every page fault and every other call
// (`ObjectCalls.reconcileStalePages`).
import MemoryObjects
import PageTables

public protocol ObjectMachine {
    associatedtype Access: PhysicalMemoryAccess
    associatedtype Tables: TableFrameSource
    /// The caller's memory machine (its `withObjects` reaches the same registry as `withObjects` here).
    associatedtype Memory: SyscallMachine

    /// The caller's pid (for logs).
    var callerID: UInt64 { get }

    /// Runs `body` with the caller's memory and the machine its memory calls run on.
    mutating func withCallerMemory<Result, Failure: Error>(
        _ body: (inout ProcessMemory<Access, Tables>, inout Memory) throws(Failure) -> Result
    ) throws(Failure) -> Result

    /// Runs `body` with the kernel's objects (registry and channels), the caller's handle table and
    /// the frame source objects draw from.
    mutating func withCallerHandles<Result, Failure: Error>(
        _ body: (inout KernelObjects, inout HandleTable, inout Memory.ObjectFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result

    /// Brings every mapping of `pages`, in every process (the caller's included), in line with
    /// the registry: `ProcessMemory.reconcileObjectLeaves(pages, dropAll:)` on each process that
    /// maps the object. After a CoW copy and a clone (dropAll false), before a decommit (true).
    mutating func reconcileMappings(of pages: ObjectPages, dropAll: Bool)

    /// Blocks the caller until a message may be queued at `endpoint` of `channel` or its peer
    /// closed; the receive is then tried again (so a spurious return is harmless).
    mutating func waitForMessage(channel: ChannelID, endpoint: UInt8)

    /// After a wait: true when the caller must stop waiting (the kernel's deadlock breaker woke
    /// it: nothing can ever send to it); the receive then returns would-block at once.
    var stopWaiting: Bool { get }

    /// A message was queued at these endpoints, or their peers closed: wake whoever waits there.
    mutating func wake(_ endpoints: [ChannelEndpoint])
}

extension ObjectMachine {
    public var stopWaiting: Bool { false }
}

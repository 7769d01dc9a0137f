// The kernel's side of Syscalls' ObjectMachine (the object calls 12-21): the caller's memory and
// handle table, the one objects layer (Objects.layer) with the frame source over the frame
// allocator, the walk over every process mapping an object, and the scheduler for a blocking
// receive. Everything about a call's rules is the shared module's (ObjectCalls).
import KernelLog
import MemoryObjects
import Scheduling
import Syscalls

struct KernelObjectMachine: ObjectMachine {
    typealias Access = IdentityAccess
    typealias Tables = KernelTableFrames
    typealias Memory = KernelMachine

    let process: Process

    var callerID: UInt64 { UInt64(process.id) }

    mutating func withCallerMemory<Result, Failure: Error>(
        _ body: (inout UserProcessMemory, inout KernelMachine) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var machine = KernelMachine(process: process)
        return try body(&process.memory, &machine)
    }

    mutating func withCallerHandles<Result, Failure: Error>(
        _ body: (inout KernelObjects, inout HandleTable, inout KernelObjectFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var frames = KernelObjectFrames()
        return try body(&Objects.layer, &process.handles, &frames)
    }

    mutating func reconcileMappings(of pages: ObjectPages, dropAll: Bool) {
        Objects.reconcileMappings(of: pages, dropAll: dropAll)
    }

    /// Blocks in the scheduler (state blocked on the endpoint) until a send or the peer's close
    /// wakes it. The caller's memory is not held across it (ObjectCalls.receive re-checks it).
    mutating func waitForMessage(channel: ChannelID, endpoint: UInt8) {
        log.line(.debug, "chan", "block").dec("pid", process.id).hex("channel", UInt64(channel.raw))
            .dec("endpoint", UInt64(endpoint)).end()
        _ = Scheduler.blockCurrent(on: Objects.event(channel, endpoint: endpoint))
    }

    var stopWaiting: Bool { process.deadlocked }

    mutating func wake(_ endpoints: [ChannelEndpoint]) {
        for endpoint in endpoints { Objects.signal(endpoint) }
    }
}

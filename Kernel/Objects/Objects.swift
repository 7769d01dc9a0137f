// The kernel's one objects layer (MemoryObjects' KernelObjects: the memory-object registry and the
// channels), kept as statics like UserCommit and Scheduler, and what the kernel does around it:
// the blocked-receive events of channel endpoints, the wakeups a close causes, a process's end,
// the exact count of shared frames (SharedFrames), and the checks build's checker over all of it.
//
// Lifetime: objects and channels outlive the process that made them while any handle (in a table
// or in transit in a channel) or any mapping region names them. When the last process has ended,
// nothing can name anything: the layer must be empty (else a leak fails the summary) and its
// storage goes back to the heap.
import KernelLog
import MemoryCore
import MemoryObjects
import Scheduling
import Syscalls

enum Objects {
    /// The layer, made when the first process starts and given back (with its fixed-capacity
    /// tables, about 45 KiB of heap) when the last one has ended: the heap balance at power-off.
    nonisolated(unsafe) private static var storage: KernelObjects? = nil
    static var layer: KernelObjects {
        get { storage! }
        _modify { yield &storage! }
    }
    nonisolated(unsafe) static var sharedFrames = SharedFrames()
    /// Objects or channels still alive after every process ended (a kernel bug; fails the summary).
    nonisolated(unsafe) static var leaks = 0
    /// CoW copies made by layers already given back (the summary's `cow_copies=` spans the boot).
    nonisolated(unsafe) static var retiredCowCopies: UInt64 = 0

    /// CoW copies since boot (the summary's `cow_copies=`).
    static var cowCopies: UInt64 { retiredCowCopies + (storage?.memory.statistics.cowCopies ?? 0) }

    static var isSetUp: Bool { storage != nil }

    /// Before a process starts (later calls do nothing while the layer lives).
    static func setUp() {
        if storage == nil { storage = KernelObjects() }
    }

    /// The scheduler's event for a receive blocked on `endpoint` (a channel id is never 0, and
    /// never reused while its generation lives).
    static func event(_ channel: ChannelID, endpoint: UInt8) -> WaitEvent {
        WaitEvent(UInt64(channel.raw) << 1 | UInt64(endpoint & 1))
    }

    /// A message was queued for `endpoint`, or its peer closed: its blocked receivers run again
    /// (each re-checks: a message, EPIPE, or blocks again).
    static func signal(_ endpoint: ChannelEndpoint) {
        Scheduler.wake(event(endpoint.channel, endpoint: endpoint.endpoint))
    }

    /// Whether a receiver blocked on `event` still has cause to wait: its endpoint exists, is open,
    /// has no message queued, and its peer is open. False means a lost wakeup (the checks build
    /// panics). A live wait names a live channel: a channel is destroyed only when both endpoints
    /// are closed, and a blocked receiver holds a handle to its own.
    static func receiverStillBlocks(_ event: WaitEvent) -> Bool {
        let channel = ChannelID(raw: UInt32(truncatingIfNeeded: event.raw >> 1))
        let endpoint = UInt8(event.raw & 1)
        guard layer.channels.isOpen(channel, endpoint: endpoint) == true,
            layer.channels.queuedCount(channel, endpoint: endpoint) == 0
        else { return false }
        return layer.channels.isOpen(channel, endpoint: 1 - endpoint) == true
    }

    /// A process's end, first step: every handle it holds is closed (objects and endpoints lose a
    /// reference; receivers facing a now-closed peer wake). Its object regions go next, with its
    /// memory (ProcessMemory.destroy), then its private frames.
    static func closeAllHandles(of process: Process) -> ReleaseSummary {
        var machine = KernelObjectMachine(process: process)
        return ObjectCalls.closeAllHandles(machine: &machine)
    }

    /// The walk over every process mapping an object (after a CoW copy, a clone, before a
    /// decommit): each one's leaves over `pages` brought in line with the registry. Processes that
    /// ended but are not yet destroyed are walked too (their regions still name the object). TLB:
    /// KernelMachine.invalidate flushes only the space in CR3; see there why the others need nothing.
    static func reconcileMappings(of pages: ObjectPages, dropAll: Bool) {
        for process in Scheduler.records where process.memory.maps(pages.object) {
            var machine = KernelMachine(process: process)
            process.memory.reconcileObjectLeaves(pages, dropAll: dropAll, machine: &machine)
        }
    }

    /// After the last process ended: nothing may remain. The storage goes back to the heap.
    static func reportAllEnded() {
        guard storage != nil else { return }  // no process ever started
        ObjectLog.settle(pid: 0)
        let statistics = layer.memory.statistics
        let remaining = statistics.liveObjects + layer.channels.liveCount
        if remaining != 0 || !sharedFrames.isEmpty { leaks += 1 }
        log.line(remaining == 0 ? .info : .error, "obj", "all-ended").dec("objects_left", statistics.liveObjects)
            .dec("channels_left", layer.channels.liveCount).dec("objects_destroyed", statistics.objectsDestroyed)
            .dec("cow_copies", cowCopies).dec("shared_frames_peak", sharedFrames.peak)
            .dec("messages_sent", layer.channels.messagesSent).end()
        if remaining == 0 {  // sharedFrames released its own storage when its last leaf went
            retiredCowCopies += statistics.cowCopies
            storage = nil
            ObjectLog.reset()
        }
    }
}

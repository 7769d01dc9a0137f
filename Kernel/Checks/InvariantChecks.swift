// The checks build (the swift-collections internal-checks idea): compiled with -D SWIFTMM_CHECKS
// (build/kernel/KernelChecks.bin, booted once by `make test`), the kernel runs every allocator's
// invariant checker after every change it makes: after each kernel-heap allocation and free (the
// heap, and the frame allocator its arenas come from), after each system call (the frame
// allocator, the heap, and the calling process's memory with its page tables), and after each
// program is loaded and destroyed. A broken invariant is a panic naming the structure. In the
// normal build `afterChange` has an empty body and every call compiles away.
import KernelLog
import MemoryObjects
import PageTables
import Syscalls
import PhysicalMemory
import BuddyHeap
import SlabHeap

enum InvariantChecks {
    /// Runs every checker (checks build only). `event` names the change, for the panic line.
    /// `includingProcess: false` leaves out the current process's memory: the kernel heap passes
    /// it, because it is called from inside that memory's own mutations (a RegionMap array that
    /// grows allocates), and reading the process's memory then would copy a value half-way
    /// through an in-place change (its array buffer being replaced): a use after free.
    @inline(__always) static func afterChange(_ event: StaticString, includingProcess: Bool = true) {
        #if SWIFTMM_CHECKS
        runAll(event, includingProcess: includingProcess)
        #endif
    }

    #if SWIFTMM_CHECKS
    /// How many times every checker ran (printed before the summary).
    nonisolated(unsafe) static var runs: UInt64 = 0
    nonisolated(unsafe) static var running = false

    @inline(never) static func runAll(_ event: StaticString, includingProcess: Bool) {
        if running { return }  // a checker's own heap use must not recurse
        running = true
        defer { running = false }
        if KernelMemory.frames.checkInvariants() != nil { panic("frame allocator invariant broken (checks build)", "after", 0) }
        if KernelHeap.isReady, KernelHeap.checkInvariants() != nil { panic("kernel heap invariant broken (checks build)") }
        if includingProcess, let process = CPULocal.this.current {
            let violation =
                Objects.isSetUp
                ? process.memory.checkInvariants(zeroFrame: UserCommit.sharedZeroFrame, objects: Objects.layer.memory)
                : process.memory.checkInvariants(zeroFrame: UserCommit.sharedZeroFrame)
            if violation != nil { panic("process memory invariant broken (checks build)", "pid", UInt64(process.id)) }
        }
        if includingProcess { checkObjects() }
        runs += 1
    }

    /// The objects layer (registry, channels, every process's handle table, each object's
    /// references against its holders: handles and (process, object) mapping pairs) and the exact
    /// shared-frame count (its own rules, and each process's counted object leaves against a walk
    /// of its object regions).
    @inline(never) static func checkObjects() {
        guard Objects.isSetUp else { return }
        var tables: [HandleTable] = []
        var mappings: [ObjectID: UInt32] = [:]
        for process in Scheduler.records {
            tables.append(process.handles)
            for object in process.memory.mappedObjects { mappings[object, default: 0] += 1 }
            if UInt64(process.memory.objectLeafCount) != Objects.sharedFrames.leafCount(pid: process.id) {
                panic("shared-frame count disagrees with the page tables (checks build)", "pid", UInt64(process.id))
            }
        }
        if Objects.layer.checkInvariants(tables: tables, mappingReferences: mappings) != nil {
            panic("objects layer invariant broken (checks build)")
        }
        if Objects.sharedFrames.checkInvariants() != nil { panic("shared-frame count invariant broken (checks build)") }
    }
    #endif

    /// The `checks` line before the summary (checks build only): how many times every checker ran.
    static func report() {
        #if SWIFTMM_CHECKS
        log.line(.info, "checks", "done").dec("runs", runs).text("build", "checks").end()
        #endif
    }
}

// One `trace pmm alloc|free` line per frame run the kernel takes from or gives back to the frame
// allocator, naming its owner, so a log tool can rebuild who held which frame at any moment:
//
//     trace pmm    alloc        t_us=N frame=0x... frames=N owner=user pid=3
//
// Owners: heap (kernel heap arenas), heap-large (heap allocations above the largest block, taken
// as frames directly), kernel-stack (a process's kernel stack, with its pid), page-table (with the pid whose address space it belongs to; pid=0 is the
// kernel's), user (a process's pages), demo (the boot demo's own frames), monitor (`falloc`). Lines are written
// only at LOG=trace; nothing here allocates.
import MemoryCore
import KernelLog

enum FrameOwner {
    case heap, heapLarge, pageTable, user, kernelStack, demo, monitor

    var name: StaticString {
        switch self {
        case .heap: "heap"
        case .heapLarge: "heap-large"
        case .pageTable: "page-table"
        case .user: "user"
        case .kernelStack: "kernel-stack"
        case .demo: "demo"
        case .monitor: "monitor"
        }
    }

    /// Owners that belong to a process carry `pid=`.
    var namesProcess: Bool { self == .user || self == .pageTable || self == .kernelStack }
}

enum FrameTrace {
    /// The process whose address space is being built, changed or torn down (0: the kernel's).
    /// Set by CPULocal while a process runs, and around its loading and its destruction.
    nonisolated(unsafe) static var activePid = 0

    static func allocated(_ first: FrameNumber, count: UInt64, owner: FrameOwner) {
        write("alloc", first, count, owner)
    }

    static func freed(_ first: FrameNumber, count: UInt64, owner: FrameOwner) {
        write("free", first, count, owner)
    }

    private static func write(_ event: StaticString, _ first: FrameNumber, _ count: UInt64, _ owner: FrameOwner) {
        guard log.isEnabled(.trace) else { return }
        let line = log.line(.trace, "pmm", event).address("frame", first.startAddress.raw).dec("frames", count)
            .text("owner", owner.name)
        if owner.namesProcess { line.dec("pid", activePid) }
        line.end()
    }
}

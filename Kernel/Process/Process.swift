// A user process: its identity, its memory (Syscalls' ProcessMemory: address space, break, map
// area, counters), its console line, its kernel stack and saved CPU state (the general registers
// on that stack while it is switched out, x87/SSE in cpuState), its CPU time, and how it ended.
// A final class, so each process record lives on the kernel heap (the heap serves the kernel's
// own objects too). The scheduler's table (Scheduling) holds its state; this holds its resources.
//
// Invariants: those of ProcessMemory (every present user leaf maps a frame this process
// allocated, zeroed before mapping; pagesMapped == space.mapped4KiBCount); destroying the process
// returns every user frame and every table frame.
import MemoryCore
import MemoryObjects
import PageTables
import Syscalls

typealias UserAddressSpace = AddressSpace<IdentityAccess>
typealias UserProcessMemory = ProcessMemory<IdentityAccess, KernelTableFrames>

final class Process {
    let id: Int
    /// The spawning process (nil: started by the kernel at boot or by the monitor).
    let parentID: Int?
    /// The program's name: bytes in the multiboot module string (reserved boot memory).
    let name: UnsafeRawBufferPointer
    var memory: UserProcessMemory
    /// Its handles (memory objects and channel endpoints), closed at its end before its memory goes.
    var handles = HandleTable()
    var output = LineBuffer()
    /// What the kernel keeps of the process's CPU state while it is not in ring 3 (x87/SSE).
    let cpuState = UserCPUState()
    /// Its own kernel stack (nil until the program is loaded, and after it ended).
    var kernelStack: KernelStack? = nil
    /// CPU time used in ring 3 and in the kernel on its behalf, in TSC cycles (ProcessClock).
    var userCycles: UInt64 = 0
    var kernelCycles: UInt64 = 0
    /// Set by the scheduler's deadlock breaker: blocked in a receive nothing could ever end; the
    /// syscall entry kills it on the way out.
    var deadlocked = false
    /// Set when it exited or was killed; the scheduler then destroys it.
    var end: ProcessEnd? = nil

    init(id: Int, parentID: Int?, name: UnsafeRawBufferPointer, space: UserAddressSpace) {
        self.id = id
        self.parentID = parentID
        self.name = name
        memory = ProcessMemory(space: space, tableFrames: KernelTableFrames())
        memory.quotaPages = UserCommit.quotaPages
    }

    /// Frees every user frame and table frame. Returns (user frames, table frames) given back.
    /// A process's end, first step after its handles: every object region unmapped (the objects'
    /// frames are not the process's; they go back only when nobody else holds them).
    func unmapObjectRegions() {
        var machine = KernelMachine(process: self)
        memory.unmapObjectRegions(machine: &machine)
    }

    func destroy() -> (userFrames: Int, tableFrames: Int) {
        var machine = KernelMachine(process: self)
        return memory.destroy(machine: &machine)
    }
}

/// Collects a process's console output into lines, so each line is one log event.
struct LineBuffer {
    static let capacity = 480
    var bytes = InlineArray<480, UInt8>(repeating: 0)
    var count = 0

    /// Appends a byte; returns true when the line is complete (newline or full).
    mutating func append(_ byte: UInt8) -> Bool {
        if byte == 0x0A { return true }
        bytes[count] = byte
        count += 1
        return count == Self.capacity
    }
}

// A small machine for the Syscalls tests: `frameCount` frames of host memory playing physical
// memory [0, frameCount * 4 KiB), handed out by a free-list reference allocator, and a recorder of
// every TLB invalidation and frame free (in order), so the tests can check that no frame is freed
// before its page was invalidated.
#if canImport(Glibc)
import Glibc
#endif
import MemoryCore
import PageTables
import Syscalls

final class SimulatedRAM {
    let base: UnsafeMutableRawPointer
    let frameCount: Int

    init(frameCount: Int) {
        self.frameCount = frameCount
        base = UnsafeMutableRawPointer.allocate(byteCount: frameCount * 4096, alignment: 4096)
        base.initializeMemory(as: UInt8.self, repeating: 0xCC, count: frameCount * 4096)
    }

    deinit { base.deallocate() }

    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        precondition(address.raw < UInt64(frameCount) * 4096, "outside simulated RAM")
        return base + Int(address.raw)
    }
}

struct RAMAccess: PhysicalMemoryAccess {
    let ram: SimulatedRAM
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { ram.pointer(to: address) }
}

/// One pool of free frames shared by tables and user pages (as the kernel's frame allocator).
final class FramePool {
    var free: [FrameNumber]
    var tableFrames: Set<FrameNumber> = []
    var userFrames: Set<FrameNumber> = []

    init(frameCount: Int) { free = (1 ..< frameCount).reversed().map { FrameNumber(UInt64($0)) } }

    func take() -> FrameNumber? { free.popLast() }
}

struct PoolTables: TableFrameSource, TableFrameLedger {
    let pool: FramePool
    mutating func allocateTableFrame() -> FrameNumber? {
        guard let frame = pool.take() else { return nil }
        pool.tableFrames.insert(frame)
        return frame
    }
    mutating func freeTableFrame(_ frame: FrameNumber) {
        precondition(pool.tableFrames.remove(frame) != nil, "table frame freed twice")
        pool.free.append(frame)
    }
    func isOutstandingTableFrame(_ frame: FrameNumber) -> Bool { pool.tableFrames.contains(frame) }
    var outstandingTableFrameCount: Int? { pool.tableFrames.count }
}

enum MachineEvent: Equatable {
    case invalidate(VirtualAddress)
    case free(FrameNumber)
}

struct SimulatedMachine: SyscallMachine {
    let ram: SimulatedRAM
    let pool: FramePool
    /// Taken from the pool first and zeroed; never freed.
    let sharedZeroFrame: FrameNumber
    /// The limit: the pool's free frames after the zero frame, less the kernel's reserve (as the kernel).
    var commit: SystemCommit
    /// Which page each live user frame backs (to check invalidate-before-free).
    var pageOfFrame: [FrameNumber: VirtualAddress] = [:]
    var console: [UInt8] = []
    var freedBeforeInvalidation: [FrameNumber] = []

    init(ram: SimulatedRAM, pool: FramePool, commitLimit: UInt64? = nil) {
        self.ram = ram
        self.pool = pool
        sharedZeroFrame = pool.take()!
        ram.pointer(to: sharedZeroFrame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        commit = SystemCommit(limitPages: commitLimit ?? SystemCommit.limit(freeFrames: UInt64(pool.free.count)))
    }

    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        guard let frame = pool.take() else { return nil }
        ram.pointer(to: frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        pool.userFrames.insert(frame)
        pageOfFrame[frame] = page
        return frame
    }

    mutating func freeUserFrame(_ frame: FrameNumber) {
        precondition(pool.userFrames.remove(frame) != nil, "user frame freed twice")
        if let page = pageOfFrame.removeValue(forKey: frame), !recorder.events.contains(.invalidate(page)) {
            freedBeforeInvalidation.append(frame)
        }
        recorder.events.append(.free(frame))
        ram.pointer(to: frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0xA5, count: 4096)
        pool.free.append(frame)
    }

    /// After a remap moved page-table entries, the frames of [start, start + pageCount pages) back
    /// other pages than the ones they were allocated for: learned again from the tables, so the
    /// invalidate-before-free check names the page a frame is mapped at now.
    mutating func relearnPages(of memory: TestMemory, from start: UInt64, pageCount: UInt64) {
        try? memory.space.leaves(startingAt: VirtualAddress(start), pageCount: pageCount) { page, frame, _ in
            if frame != sharedZeroFrame { pageOfFrame[frame] = page }
        }
    }

    func invalidate(page: VirtualAddress) { recorder.events.append(.invalidate(page)) }
    var freeFrameCount: UInt64 { UInt64(pool.free.count) }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) { console.append(contentsOf: bytes) }

    /// invalidate is non-mutating (the kernel's `invlpg` has no state): record through a box.
    let recorder = EventBox()
}

final class EventBox { var events: [MachineEvent] = [] }

typealias TestMemory = ProcessMemory<RAMAccess, PoolTables>

/// A process with an image of `imagePages` at UserSpace.imageBase (read-write, as a data segment)
/// and its stack, as the kernel's loader leaves it.
func makeProcess(frames: Int = 4096, imagePages: UInt64 = 2, commitLimit: UInt64? = nil) throws -> (TestMemory, SimulatedMachine)
{
    let ram = SimulatedRAM(frameCount: frames)
    let pool = FramePool(frameCount: frames)
    var tables = PoolTables(pool: pool)
    let space = try AddressSpace(kind: .user, memory: RAMAccess(ram: ram), tableFrames: &tables)
    var memory = ProcessMemory(space: space, tableFrames: tables)
    var machine = SimulatedMachine(ram: ram, pool: pool, commitLimit: commitLimit)
    try memory.mapZeroed(at: UserSpace.imageBase, pageCount: imagePages, flags: TestMemory.userData, machine: &machine)
    memory.setImage(start: UserSpace.imageBase, end: VirtualAddress(UserSpace.imageBase.raw + imagePages * 4096 - 100))
    try memory.mapStack(machine: &machine)
    return (memory, machine)
}

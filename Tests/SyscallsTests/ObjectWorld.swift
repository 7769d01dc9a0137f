// A small machine with several processes for the object calls: simulated RAM and one frame pool
// (SimulatedMachine.swift) serving private frames, object frames and page tables alike, one commit
// ledger, one KernelObjects (registry + channels), and per process a ProcessMemory and a
// HandleTable. `WorldCaller` is the ObjectMachine (and ProcessMachine) of one process: its
// reconcileMappings walks every process, as the kernel's does.
import MemoryCore
import MemoryObjects
import PageTables
import Syscalls

final class WorldProcess {
    let pid: Int
    var memory: TestMemory
    var handles = HandleTable()

    init(pid: Int, memory: TestMemory) {
        self.pid = pid
        self.memory = memory
    }
}

final class World {
    let ram: SimulatedRAM
    let pool: FramePool
    let zeroFrame: FrameNumber
    let frameCount: Int
    var commit: SystemCommit
    var kernel = KernelObjects()
    var processes: [Int: WorldProcess] = [:]
    var nextPid = 1
    var invalidations = 0
    var woken: [ChannelEndpoint] = []
    /// What a blocking receive does while it waits (a test plays the other process here).
    var whileWaiting: ((World) -> Void)? = nil
    var waits = 0
    /// A process end whose reported table frames differ from those that came back.
    var endMismatch: String? = nil

    init(frames: Int = 4096, commitLimit: UInt64? = nil) {
        frameCount = frames
        ram = SimulatedRAM(frameCount: frames)
        pool = FramePool(frameCount: frames)
        zeroFrame = pool.take()!
        ram.pointer(to: zeroFrame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        commit = SystemCommit(limitPages: commitLimit ?? SystemCommit.limit(freeFrames: UInt64(pool.free.count)))
    }

    /// A process with a 2-page read-write image and its stack, as the loader leaves it.
    @discardableResult
    func start() throws -> Int {
        var tables = PoolTables(pool: pool)
        let space = try AddressSpace(kind: .user, memory: RAMAccess(ram: ram), tableFrames: &tables)
        var memory = ProcessMemory(space: space, tableFrames: tables)
        var machine = WorldMachine(world: self)
        try memory.mapZeroed(at: UserSpace.imageBase, pageCount: 2, flags: TestMemory.userData, machine: &machine)
        memory.setImage(start: UserSpace.imageBase, end: VirtualAddress(UserSpace.imageBase.raw + 2 * 4096))
        try memory.mapStack(machine: &machine)
        let pid = nextPid
        nextPid += 1
        processes[pid] = WorldProcess(pid: pid, memory: memory)
        return pid
    }

    /// Exit or kill: every handle closed, then the memory destroyed (object regions first).
    func end(_ pid: Int) {
        var caller = WorldCaller(world: self, pid: pid)
        _ = ObjectCalls.closeAllHandles(machine: &caller)
        var machine = WorldMachine(world: self)
        let tablesBefore = pool.tableFrames.count
        let freed = processes[pid]!.memory.destroy(machine: &machine)
        if freed.tableFrames != tablesBefore - pool.tableFrames.count {
            endMismatch =
                "pid \(pid): destroy said \(freed.tableFrames) table frames, \(tablesBefore - pool.tableFrames.count) went back"
        }
        processes[pid] = nil
    }

    func caller(_ pid: Int) -> WorldCaller { WorldCaller(world: self, pid: pid) }
    var machine: WorldMachine { WorldMachine(world: self) }

    func perform(_ pid: Int, _ request: ObjectRequest) -> SyscallOutcome {
        var caller = caller(pid)
        return ObjectCalls.perform(request, machine: &caller)
    }

    /// A user access by `pid` at `address` (the fault the CPU would raise, then the bytes moved by
    /// the kernel's copy, which faults the same way), with the stale pages reconciled after.
    func write(_ pid: Int, _ address: UInt64, _ bytes: [UInt8]) throws(RejectionReason) {
        var caller = caller(pid)
        defer { ObjectCalls.reconcileStalePages(machine: &caller) }
        var machine = WorldMachine(world: self)
        let outcome = bytes.withUnsafeBytes { source -> Result<Void, RejectionReason> in
            do throws(RejectionReason) {
                try processes[pid]!.memory.writeUser(address: address, from: source, machine: &machine)
            } catch {
                return .failure(error)
            }
            return .success(())
        }
        try outcome.get()
    }

    func read(_ pid: Int, _ address: UInt64, count: Int) throws(RejectionReason) -> [UInt8] {
        var machine = WorldMachine(world: self)
        var bytes = [UInt8](repeating: 0, count: count)
        let outcome = bytes.withUnsafeMutableBytes { buffer -> Result<Void, RejectionReason> in
            do throws(RejectionReason) {
                try processes[pid]!.memory.copyFromUser(address: address, length: UInt64(count), into: buffer, machine: &machine)
            } catch {
                return .failure(error)
            }
            return .success(())
        }
        try outcome.get()
        return bytes
    }

    /// The frame `pid`'s page at `address` maps now (nil: no leaf).
    func frame(_ pid: Int, _ address: UInt64) -> FrameNumber? {
        processes[pid]!.memory.space.translate(VirtualAddress(address))?.frame
    }

    var objectStatistics: ObjectStatistics { kernel.memory.statistics }

    /// Mapping references per object: one per process that maps it (ProcessMemory's rule).
    var mappingReferences: [ObjectID: UInt32] {
        var references: [ObjectID: UInt32] = [:]
        for process in processes.values { for object in process.memory.mappedObjects { references[object, default: 0] += 1 } }
        return references
    }

    /// Every checker: each process's memory (with the object rules), the objects layer (handle
    /// tables, registry, channels, references against their holders), the commit ledger
    /// (processes + objects), and every frame owned exactly once: free, a table, the zero frame,
    /// an object's (held by its slots) or one process's private leaf.
    func check(full: Bool = true, pids: [Int]? = nil) -> String? {
        for pid in pids ?? Array(processes.keys) {
            guard let process = processes[pid] else { continue }
            if let violation = process.memory.checkInvariants(zeroFrame: zeroFrame, objects: kernel.memory) {
                return "pid \(pid): \(violation)"
            }
        }
        let tables = processes.keys.sorted().map { processes[$0]!.handles }
        if let violation = kernel.checkInvariants(tables: tables, mappingReferences: mappingReferences) {
            return "objects: \(violation)"
        }
        let charged = processes.values.reduce(kernel.memory.chargedPages) { $0 + $1.memory.committedPages }
        if let endMismatch { return endMismatch }
        guard charged == commit.committedPages else { return "ledger \(commit.committedPages) != charges \(charged)" }
        return full ? checkFrames() : nil
    }

    private func checkFrames() -> String? {
        var privateFrames = Set<FrameNumber>()
        var objectLeaves = 0
        for process in processes.values {
            for region in process.memory.regions.regions {
                var problem: String? = nil
                try? process.memory.space.leaves(startingAt: region.start, pageCount: region.pageCount) { page, frame, _ in
                    if region.kind.object != nil {
                        objectLeaves += 1
                        if kernel.memory.referenceCount(of: frame) == 0 { problem = "object leaf on a frame no object holds" }
                    } else if frame != zeroFrame {
                        if !privateFrames.insert(frame).inserted || kernel.memory.referenceCount(of: frame) != 0 {
                            problem = "private frame \(frame.raw) at \(page) mapped twice or held by an object"
                        }
                    }
                }
                if let problem { return "pid \(process.pid): \(problem)" }
            }
        }
        let objectFrames = Int(kernel.memory.statistics.framesHeld)
        guard pool.userFrames.count == privateFrames.count + objectFrames else {
            return "user frames \(pool.userFrames.count) != private \(privateFrames.count) + object \(objectFrames)"
        }
        let accounted = pool.free.count + pool.tableFrames.count + pool.userFrames.count + 2  // frame 0, the zero frame
        guard accounted == frameCount else { return "frames: \(accounted) accounted of \(frameCount)" }
        return nil
    }
}

/// The memory machine of every process of the world (one ledger, one registry, one pool).
struct WorldMachine: SyscallMachine {
    let world: World

    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber? {
        var frames = WorldFrames(world: world)
        return frames.allocateZeroedFrame()
    }

    mutating func freeUserFrame(_ frame: FrameNumber) {
        precondition(world.kernel.memory.referenceCount(of: frame) == 0, "an object's frame freed as a private one")
        world.pool.release(frame, ram: world.ram)
    }

    var sharedZeroFrame: FrameNumber { world.zeroFrame }

    var commit: SystemCommit {
        get { world.commit }
        set { world.commit = newValue }
    }

    var freeFrameCount: UInt64 { UInt64(world.pool.free.count) }
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer) {}
    func invalidate(page: VirtualAddress) { world.invalidations += 1 }

    mutating func withObjects<Result, Failure: Error>(
        _ body: (inout MemoryObjects, inout WorldFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var frames = WorldFrames(world: world)
        return try body(&world.kernel.memory, &frames)
    }
}

/// Object frames from the same pool and charges on the same ledger.
struct WorldFrames: ObjectFrameSource {
    let world: World

    mutating func allocateZeroedFrame() -> FrameNumber? {
        guard let frame = world.pool.take() else { return nil }
        world.ram.pointer(to: frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        world.pool.userFrames.insert(frame)
        return frame
    }

    mutating func copyFrame(from: FrameNumber, to: FrameNumber) {
        world.ram.pointer(to: to.startAddress).copyMemory(from: world.ram.pointer(to: from.startAddress), byteCount: 4096)
    }

    mutating func freeFrame(_ frame: FrameNumber) { world.pool.release(frame, ram: world.ram) }

    mutating func chargeCommit(_ pages: UInt64) -> Bool { world.commit.charge(pages) }
    mutating func releaseCommit(_ pages: UInt64) { world.commit.release(pages) }
}

extension FramePool {
    /// A user frame (private or an object's) back to the pool, filled with a pattern.
    func release(_ frame: FrameNumber, ram: SimulatedRAM) {
        precondition(userFrames.remove(frame) != nil, "user frame freed twice")
        ram.pointer(to: frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0xA5, count: 4096)
        free.append(frame)
    }
}

/// One process's ObjectMachine and ProcessMachine.
struct WorldCaller: ObjectMachine, ProcessMachine {
    let world: World
    let pid: Int

    var process: WorldProcess { world.processes[pid]! }
    var callerID: UInt64 { UInt64(pid) }

    mutating func withCallerMemory<Result, Failure: Error>(
        _ body: (inout TestMemory, inout WorldMachine) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var machine = WorldMachine(world: world)
        return try body(&process.memory, &machine)
    }

    mutating func withCallerHandles<Result, Failure: Error>(
        _ body: (inout KernelObjects, inout HandleTable, inout WorldFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var frames = WorldFrames(world: world)
        return try body(&world.kernel, &process.handles, &frames)
    }

    mutating func reconcileMappings(of pages: ObjectPages, dropAll: Bool) {
        for other in world.processes.values where other.memory.maps(pages.object) {
            var machine = WorldMachine(world: world)
            other.memory.reconcileObjectLeaves(pages, dropAll: dropAll, machine: &machine)
        }
    }

    mutating func waitForMessage(channel: ChannelID, endpoint: UInt8) {
        world.waits += 1
        guard let whileWaiting = world.whileWaiting else { preconditionFailure("a receive would wait forever") }
        whileWaiting(world)
    }

    mutating func wake(_ endpoints: [ChannelEndpoint]) { world.woken += endpoints }

    // MARK: ProcessMachine

    mutating func readCaller(address: UInt64, length: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(RejectionReason)
    {
        var machine = WorldMachine(world: world)
        try process.memory.copyFromUser(address: address, length: length, into: buffer, machine: &machine)
    }

    mutating func checkCallerWritable(address: UInt64, length: UInt64) throws(RejectionReason) {
        var machine = WorldMachine(world: world)
        try process.memory.prepareUserWrite(address: address, length: length, machine: &machine)
    }

    mutating func writeCaller(address: UInt64, from bytes: UnsafeRawBufferPointer) throws(RejectionReason) {
        var machine = WorldMachine(world: world)
        try process.memory.writeUser(address: address, from: bytes, machine: &machine)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer) -> Result<UInt64, SpawnFailure> {
        spawn(program: name, handles: [])
    }

    mutating func checkSpawnHandles(_ values: [HandleValue]) throws(ObjectError) {
        try process.handles.checkTransferable(values)
    }

    mutating func spawn(program name: UnsafeRawBufferPointer, handles: [HandleValue]) -> Result<UInt64, SpawnFailure> {
        guard String(decoding: name, as: UTF8.self) == "child" else { return .failure(.noSuchProgram) }
        guard let child = try? world.start() else { return .failure(.outOfMemory) }
        do throws(ObjectError) {
            let parent = process, started = world.processes[child]!
            _ = try world.kernel.transferAtSpawn(handles, from: &parent.handles, to: &started.handles)
        } catch {
            preconditionFailure("checked handles refused at spawn: \(error)")
        }
        return .success(UInt64(child))
    }

    mutating func waitForChild(_ pid: UInt64?) -> ChildWait { .noSuchChild }  // the world keeps no parent links
    mutating func yield() {}
}

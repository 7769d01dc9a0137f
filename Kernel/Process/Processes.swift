// Starting and ending user processes: each multiboot module is an ELF executable; at boot every
// one starts as its own process, in its own address space, and all run concurrently under the
// scheduler (Scheduler.swift) until the last ends; a process may spawn more (the spawn syscall).
// A process ends by the exit syscall or by being killed for a fault; either way the scheduler
// destroys it, every frame it held (user pages, page tables, kernel stack) goes back to the frame
// allocator, and its `proc end` line says so.
import MemoryCore
import KernelLog
import MemoryObjects
import PhysicalMemory
import PageTables
import ProgramLoader
import Scheduling
import Syscalls

/// How a process ended.
enum ProcessEnd {
    case exited(code: UInt64)
    case killed(FaultName)

    /// The status word wait returns (Syscalls' ProcessStatus: exit codes below 2^32, kills above).
    var statusWord: UInt64 {
        switch self {
        case .exited(let code): ProcessStatus.exited(code: UInt32(truncatingIfNeeded: code)).word
        case .killed(let fault): ProcessStatus.killed(faultNumber: fault.rawValue).word
        }
    }
}

enum Processes {
    nonisolated(unsafe) static var started = 0
    nonisolated(unsafe) static var killed = 0
    /// Processes whose frames did not all come back (a kernel bug; fails the summary).
    nonisolated(unsafe) static var leaks = 0
    /// How the last process ended and its peak pages (the monitor's `ps` shows them).
    nonisolated(unsafe) static var lastEnd: ProcessEnd? = nil
    nonisolated(unsafe) static var lastPeakPages = 0
    /// The boot modules: the programs spawn can start.
    nonisolated(unsafe) static var modules: BootInfo? = nil

    /// Starts every module as a process, then runs them all until the last has ended.
    static func runModules(_ info: BootInfo) {
        modules = info
        UserCommit.fixLimit()
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        for index in 0 ..< info.moduleCount {
            let module = moduleFile(info, index)
            _ = start(module.file, name: module.name, parent: nil)
        }
        Scheduler.runUntilAllEnded()
        Objects.reportAllEnded()
        reportAllEnded(freeBefore: freeBefore)
    }

    /// Every process has ended: the frames they took are all back (else a leak fails the summary).
    static func reportAllEnded(freeBefore: UInt64) {
        Scheduler.releaseStorage()
        let freeAfter = KernelMemory.frames.statistics.freeFrames
        if freeAfter != freeBefore { leaks += 1 }
        log.line(freeAfter == freeBefore ? .info : .error, "proc", "all-ended").dec("processes", started)
            .dec("concurrent_peak", Scheduler.table.peakAlive).dec("switches", Scheduler.switches)
            .dec("idle_halts", Scheduler.idleHalts).dec("frames_free_before", freeBefore).dec("frames_free_after", freeAfter)
            .text("frames", freeAfter == freeBefore ? "all-returned" : "LEAKED").end()
    }

    static func moduleFile(_ info: BootInfo, _ index: Int) -> (file: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) {
        let module = info.module(index)
        let file = UnsafeRawBufferPointer(start: physicalPointer(module.range.start), count: Int(module.range.byteCount))
        return (file, programName(MultibootInfo.zeroTerminated(at: module.nameAddress)))
    }

    /// The boot module whose program name is `name`.
    static func module(named name: UnsafeRawBufferPointer) -> (file: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer)? {
        guard let info = modules else { return nil }
        for index in 0 ..< info.moduleCount {
            let module = moduleFile(info, index)
            if module.name.elementsEqual(name) { return module }
        }
        return nil
    }

    /// Loads a program into a new process, runnable at the back of the queue. On any failure
    /// everything taken is given back and the reason logged.
    /// `handing` (checked transferable by the caller) moves from `giver`'s table to the child's
    /// slots 0... once the child is loaded: a spawn that fails moves nothing.
    static func start(
        _ file: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer, parent: Int?, handing handles: [HandleValue] = [],
        from giver: Process? = nil
    ) -> Result<Int, SpawnFailure> {
        UserCommit.fixLimit()
        Objects.setUp()
        let id: ProcessID
        do throws(SpawnRefusal) { id = try Scheduler.table.create(parent: parent.map { ProcessID($0) }) } catch {
            let line = log.line(.warn, "proc", "spawn-refused").bytes("prog", name)
            if let parent { line.dec("parent", parent) }
            line.text("reason", error == .tableFull ? "process-table-full" : "process-tree-full").end()
            return .failure(error == .tableFull ? .processTableFull : .processTreeFull)
        }
        started += 1
        let outerPid = FrameTrace.activePid
        FrameTrace.activePid = id.raw
        defer { FrameTrace.activePid = outerPid }
        var tables = KernelTableFrames()
        guard
            let space = try? UserAddressSpace(
                kind: .user, memory: IdentityAccess(), tableFrames: &tables,
                sharingKernelEntriesOf: KernelAddressSpace.root)
        else {
            log.line(.error, "proc", "no-memory").dec("pid", id.raw).bytes("prog", name).end()
            Scheduler.table.cancel(id)
            return .failure(.outOfMemory)
        }
        let process = Process(id: id.raw, parentID: parent, name: name, space: space)
        let line = log.line(.info, "proc", "start").dec("pid", process.id).bytes("prog", name).size("file", UInt64(file.count))
        if let parent { line.dec("parent", parent) }
        line.end()
        do throws(LoadFailure) {
            let entry = try ProgramLoading.load(file, into: process)
            guard let stack = KernelStack.allocate(entry: entry.raw, userStack: UserSpace.stackEnd.raw) else {
                throw .noMemory(Rejection(.outOfMemory, .outOfFrames))
            }
            process.kernelStack = stack
            if let giver, !handles.isEmpty { try giveHandles(handles, from: giver, to: process) }
        } catch {
            reportLoadFailure(process, error)
            Scheduler.table.cancel(id)
            finish(process)
            if case .badExecutable = error { return .failure(.badExecutable) }
            return .failure(.outOfMemory)
        }
        Scheduler.records.append(process)
        InvariantChecks.afterChange("program-loaded")
        Scheduler.checkInvariants("program-loaded")
        return .success(id.raw)
    }

    /// Spawn's handles: from the parent's table to the child's startup slots (0x10001, ...).
    private static func giveHandles(_ handles: [HandleValue], from giver: Process, to child: Process) throws(LoadFailure) {
        do throws(ObjectError) {
            _ = try Objects.layer.transferAtSpawn(handles, from: &giver.handles, to: &child.handles)
        } catch {
            throw .noMemory(Rejection(.invalidArgument, .object(error)))  // checked by the caller: not reached
        }
        log.line(.debug, "obj", "give").dec("pid", child.id).dec("parent", giver.id).dec("handles", UInt64(handles.count)).end()
    }

    private static func reportLoadFailure(_ process: Process, _ failure: LoadFailure) {
        switch failure {
        case .badExecutable(let error):
            log.line(.warn, "proc", "rejected").dec("pid", process.id).bytes("prog", process.name).text("reason", error.name)
                .end()
        case .noMemory(let rejection):
            log.line(.warn, "proc", "rejected").dec("pid", process.id).bytes("prog", process.name)
                .text("reason", rejection.errno.name).text("cause", rejection.reason.name).end()
        }
    }

    /// Destroys an ended (or never started) process: logs its end, returns every frame (user
    /// pages, page tables, kernel stack) and checks each count against what it held. Never for
    /// the running process (its kernel stack is in use): the scheduler calls it from the boot
    /// stack, spawn for a child that never ran.
    static func finish(_ process: Process) {
        let root = process.memory.space.root.startAddress.raw
        if cpu_read_cr3() == root { cpu_write_cr3(KernelAddressSpace.root.startAddress.raw) }
        let outerPid = FrameTrace.activePid
        FrameTrace.activePid = process.id
        defer { FrameTrace.activePid = outerPid }
        flushOutput(process)
        let end = process.end
        // Leaves over object pages are the objects' frames: handles closed and object regions
        // unmapped first, the counts below are the process's own (private pages, page tables).
        let objectPages = process.memory.objectLeafCount
        let released = Objects.closeAllHandles(of: process)
        process.unmapObjectRegions()
        let objectLeavesLeft = Objects.sharedFrames.leafCount(pid: process.id)  // 0: every one was counted out
        let peak = process.memory.peakPages, atExit = process.memory.pagesMapped
        let tablesHeld = process.memory.space.tableFrameCount
        lastEnd = end
        lastPeakPages = peak
        let (userFrames, tableFrames) = process.destroy()  // its private frames and tables
        ObjectLog.settle(pid: process.id)
        let stackPeak = process.kernelStack?.peakBytes ?? 0
        let stackFrames = process.kernelStack?.free() ?? 0
        let stackHeld = process.kernelStack == nil ? 0 : Int(KernelStack.pageCount)
        process.kernelStack = nil
        InvariantChecks.afterChange("process-destroyed")
        let balanced = userFrames == atExit && tableFrames == tablesHeld && stackFrames == stackHeld && objectLeavesLeft == 0
        if !balanced { leaks += 1 }
        let line = log.line(balanced ? .info : .error, "proc", "end").dec("pid", process.id).bytes("prog", process.name)
        if let parent = process.parentID { line.dec("parent", parent) }
        switch end {
        case .exited(let code)?: line.text("status", "exited").dec("code", code)
        case .killed(let fault)?: line.text("status", "killed").text("fault", fault.name)
        case nil: line.text("status", "not-started")
        }
        if end != nil {
            line.dec("cpu_user_ms", ProcessClock.milliseconds(process.userCycles))
                .dec("cpu_kernel_ms", ProcessClock.milliseconds(process.kernelCycles))
        }
        line.dec("pages_peak", UInt64(peak)).dec("committed_peak", process.memory.peakCommittedPages)
            .dec("zero_fill_faults", UInt64(process.memory.zeroFillFaults))
            .dec("zero_frame_faults", UInt64(process.memory.zeroFrameFaults)).dec("pages_at_exit", UInt64(atExit))
            .dec("object_pages_at_exit", UInt64(objectPages))
            .dec("user_frames_freed", UInt64(userFrames)).dec("table_frames_freed", UInt64(tableFrames))
            .dec("kstack_frames_freed", UInt64(stackFrames)).dec("kstack_peak_bytes", stackPeak)
            .text("frames", balanced ? "all-returned" : "LEAKED")
        if !balanced {  // what was expected back, and object leaves still counted after the destroy (a bug)
            line.dec("table_frames_held", UInt64(tablesHeld)).dec("kstack_frames_held", UInt64(stackHeld))
                .dec("object_pages_left", objectLeavesLeft)
        }
        line.end()
        if released.handlesReleased > 0 {
            log.line(.debug, "obj", "close").dec("pid", process.id).text("handle", "all")
                .dec("handles", UInt64(released.handlesReleased)).dec("objects_destroyed", UInt64(released.objectsDestroyed))
                .dec("frames_freed", released.framesFreed).dec("endpoints_closed", UInt64(released.endpointsClosed)).end()
        }
    }

    // MARK: - Called from the syscall and exception paths (on the process's kernel stack)

    static func exitCurrent(code: UInt64) -> Never {
        flushCurrentOutput()
        Scheduler.endCurrent(.exited(code: code & 0xFFFF_FFFF))
    }

    /// Out of line, so the reference it takes is released before the caller leaves for good.
    @inline(never) private static func flushCurrentOutput() {
        if let process = CPULocal.this.current { flushOutput(process) }
    }

    /// Why the last user page fault was refused (the kill line's `cause=`).
    nonisolated(unsafe) static var lastFaultRefusal: FaultRefusal = .notMapped

    /// A page fault in ring 3 (CR2 holds the address): true when the process's memory resolved it
    /// (the program retries the access), false when it must be killed (the refusal is kept for
    /// the kill line). Out of line, so no reference to the process outlives it (a kill never returns).
    @inline(never) static func resolveUserPageFault(errorCode: UInt64) -> Bool {
        guard let process = CPULocal.this.current else { return false }
        let code = PageFaultErrorCode(rawValue: errorCode)
        let access: FaultAccess = code.contains(.instructionFetch) ? .execute : (code.contains(.write) ? .write : .read)
        let fault = PageFault(
            address: VirtualAddress(cpu_read_cr2()), access: access, wasPresent: code.contains(.present),
            fromUser: code.contains(.user))
        var machine = KernelMachine(process: process)
        switch process.memory.resolveFault(fault, machine: &machine) {
        case .success(let resolution):
            UserCommit.pageFaultsResolved += 1
            if case .object(let objectFault) = resolution {
                ObjectLog.fault(objectFault, pid: process.id)
                var objectMachine = KernelObjectMachine(process: process)
                ObjectCalls.reconcileStalePages(machine: &objectMachine)  // a CoW copy: the other mappings refault
                ObjectLog.settle(pid: process.id)
            }
            log.line(.trace, "vm", "fault").dec("pid", process.id).address("addr", fault.address.raw)
                .text("access", access.name).text("resolved", resolutionName(resolution)).end()
            return true
        case .failure(let refusal):
            lastFaultRefusal = refusal
            return false
        }
    }

    private static func resolutionName(_ resolution: FaultResolution) -> StaticString {
        switch resolution {
        case .zeroFill: "zero-fill"
        case .zeroFrame: "zero-frame"
        case .zeroFrameReplaced: "zero-frame-replaced"
        case .alreadyResolved: "already-resolved"
        case .object: "object"
        }
    }

    /// A fault in ring 3: the process is killed, the kernel carries on.
    static func killCurrent(_ frame: ExceptionFrame, fault: FaultName) -> Never {
        kill(fault, rip: frame.rip, rsp: frame.rsp, errorCode: frame.errorCode)
    }

    /// A kill the kernel decides in a syscall (the CPU-time limit, checked on the way back).
    static func killCurrent(_ frame: SyscallFrame, fault: FaultName) -> Never {
        kill(fault, rip: frame.userRIP, rsp: frame.userRSP, errorCode: 0)
    }

    private static func kill(_ fault: FaultName, rip: UInt64, rsp: UInt64, errorCode: UInt64) -> Never {
        killed += 1
        flushCurrentOutput()
        reportKill(fault, rip: rip, rsp: rsp, errorCode: errorCode)
        Scheduler.endCurrent(.killed(fault))
    }

    @inline(never) private static func reportKill(_ fault: FaultName, rip: UInt64, rsp: UInt64, errorCode: UInt64) {
        let current = CPULocal.this.current
        let line = log.line(.warn, "proc", "killed").dec("pid", current?.id ?? 0)
        if let process = current { line.bytes("prog", process.name) }
        line.text("fault", fault.name).address("rip", rip).address("rsp", rsp).hex("error_code", errorCode)
        if fault == .pageFault {
            let code = PageFaultErrorCode(rawValue: errorCode)
            let address = cpu_read_cr2()
            line.address("addr", address)
                .text("access", code.contains(.instructionFetch) ? "execute" : (code.contains(.write) ? "write" : "read"))
                .text("cause", lastFaultRefusal.name)
        }
        line.end()
    }

    static func flushOutput(_ process: Process) {
        guard process.output.count > 0 else { return }
        withUnsafeBytes(of: &process.output.bytes) { bytes in
            log.line(.info, "user", "output").dec("pid", process.id).bytes("prog", process.name)
                .endWithText(UnsafeRawBufferPointer(rebasing: bytes[0 ..< process.output.count]))
        }
        process.output.count = 0
    }

    /// "build/user/hello.elf args" -> "hello".
    static func programName(_ string: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var end = string.count
        if let space = string.firstIndex(of: 0x20) { end = space }
        var start = 0
        for index in 0 ..< end where string[index] == UInt8(ascii: "/") { start = index + 1 }
        if end - start > 4 && string[end - 4] == UInt8(ascii: ".") && string[end - 3] == UInt8(ascii: "e") { end -= 4 }
        return UnsafeRawBufferPointer(rebasing: string[start ..< end])
    }
}

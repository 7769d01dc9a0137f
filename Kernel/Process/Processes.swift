// Running user programs: each multiboot module is an ELF executable, run to completion one after
// another in its own address space. A process ends by the exit syscall or by being killed for a
// fault; either way every frame it held goes back to the frame allocator, and the log shows it.
import MemoryCore
import KernelLog
import PhysicalMemory
import PageTables
import ProgramLoader
import Syscalls

/// How a process ended.
enum ProcessEnd {
    case exited(code: UInt64)
    case killed(FaultName)

    /// Packed into the status `user_resume_kernel` carries: exit codes below 2^32, kills above.
    init(status: UInt64) {
        self = status >> 32 == 0 ? .exited(code: status) : .killed(FaultName(rawValue: UInt16(truncatingIfNeeded: status)) ?? .reserved)
    }
    static func killedStatus(_ fault: FaultName) -> UInt64 { 1 << 32 | UInt64(fault.rawValue) }
}

enum Processes {
    nonisolated(unsafe) static var current: Process? = nil
    nonisolated(unsafe) static var started = 0
    nonisolated(unsafe) static var killed = 0
    /// Processes whose frames did not all come back (a kernel bug; fails the summary).
    nonisolated(unsafe) static var leaks = 0
    /// How the last process ended and its peak pages (the monitor's `ps` shows them).
    nonisolated(unsafe) static var lastEnd: ProcessEnd? = nil
    nonisolated(unsafe) static var lastPeakPages = 0

    static func runModules(_ info: BootInfo) {
        for index in 0..<info.moduleCount {
            let module = info.module(index)
            let file = UnsafeRawBufferPointer(start: physicalPointer(module.range.start), count: Int(module.range.byteCount))
            run(file, name: programName(MultibootInfo.zeroTerminated(at: module.nameAddress)))
        }
    }

    /// Loads and runs one program; the frame count afterwards equals the count before.
    static func run(_ file: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) {
        UserCommit.fixLimit()
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        started += 1
        FrameTrace.activePid = started
        defer { FrameTrace.activePid = 0 }
        var tables = KernelTableFrames()
        guard let space = try? UserAddressSpace(kind: .user, memory: IdentityAccess(), tableFrames: &tables,
                                                sharingKernelEntriesOf: KernelAddressSpace.root) else {
            log.line(.error, "proc", "no-memory").bytes("prog", name).end()
            return
        }
        let process = Process(id: started, name: name, space: space)
        log.line(.info, "proc", "start").dec("pid", process.id).bytes("prog", name).size("file", UInt64(file.count)).end()
        do throws(LoadFailure) {
            let entry = try ProgramLoading.load(file, into: process)
            current = process
            InvariantChecks.afterChange("program-loaded")
            cpu_write_cr3(process.memory.space.root.startAddress.raw)
            let end = ProcessEnd(status: UserMode.run(entry: entry.raw, stack: UserSpace.stackEnd.raw, cpuState: process.cpuState))
            cpu_write_cr3(KernelAddressSpace.root.startAddress.raw)
            current = nil
            flushOutput(process)
            finish(process, end, freeBefore: freeBefore)
        } catch {
            reportLoadFailure(process, error)
            finish(process, nil, freeBefore: freeBefore)
        }
    }

    private static func reportLoadFailure(_ process: Process, _ failure: LoadFailure) {
        switch failure {
        case .badExecutable(let error):
            log.line(.warn, "proc", "rejected").dec("pid", process.id).bytes("prog", process.name).text("reason", error.name).end()
        case .noMemory(let rejection):
            log.line(.warn, "proc", "rejected").dec("pid", process.id).bytes("prog", process.name)
                .text("reason", rejection.errno.name).text("cause", rejection.reason.name).end()
        }
    }

    /// Logs the end, returns every frame, and checks the frame count came back.
    private static func finish(_ process: Process, _ end: ProcessEnd?, freeBefore: UInt64) {
        let peak = process.memory.peakPages, atExit = process.memory.pagesMapped
        lastEnd = end
        lastPeakPages = peak
        let (userFrames, tableFrames) = process.destroy()
        InvariantChecks.afterChange("process-destroyed")
        let balanced = KernelMemory.frames.statistics.freeFrames == freeBefore
        if !balanced { leaks += 1 }
        let line = log.line(balanced ? .info : .error, "proc", "end").dec("pid", process.id).bytes("prog", process.name)
        switch end {
        case .exited(let code)?: line.text("status", "exited").dec("code", code)
        case .killed(let fault)?: line.text("status", "killed").text("fault", fault.name)
        case nil: line.text("status", "not-started")
        }
        if end != nil { line.dec("cpu_user_ms", ProcessClock.userMilliseconds).dec("cpu_kernel_ms", ProcessClock.kernelMilliseconds) }
        line.dec("pages_peak", UInt64(peak)).dec("committed_peak", process.memory.peakCommittedPages)
            .dec("zero_fill_faults", UInt64(process.memory.zeroFillFaults))
            .dec("zero_frame_faults", UInt64(process.memory.zeroFrameFaults)).dec("pages_at_exit", UInt64(atExit)).dec("user_frames_freed", UInt64(userFrames))
            .dec("table_frames_freed", UInt64(tableFrames)).text("frames", balanced ? "all-returned" : "LEAKED").end()
    }

    // MARK: - Called from the syscall and exception paths (running on the kernel stack)

    static func exitCurrent(code: UInt64) -> Never {
        flushCurrentOutput()
        UserMode.resume(status: code & 0xFFFF_FFFF)
    }

    /// Out of line, so the reference it takes is released before the caller leaves for good.
    @inline(never) private static func flushCurrentOutput() {
        if let process = current { flushOutput(process) }
    }

    /// Why the last user page fault was refused (the kill line's `cause=`).
    nonisolated(unsafe) static var lastFaultRefusal: FaultRefusal = .notMapped

    /// A page fault in ring 3 (CR2 holds the address): true when the process's memory resolved it
    /// (the program retries the access), false when it must be killed (the refusal is kept for
    /// the kill line). Out of line, so no reference to the process outlives it (a kill never returns).
    @inline(never) static func resolveUserPageFault(errorCode: UInt64) -> Bool {
        guard let process = current else { return false }
        let code = PageFaultErrorCode(rawValue: errorCode)
        let access: FaultAccess = code.contains(.instructionFetch) ? .execute : (code.contains(.write) ? .write : .read)
        let fault = PageFault(address: VirtualAddress(cpu_read_cr2()), access: access, wasPresent: code.contains(.present),
                              fromUser: code.contains(.user))
        var machine = KernelMachine(process: process)
        switch process.memory.resolveFault(fault, machine: &machine) {
        case .success(let resolution):
            UserCommit.pageFaultsResolved += 1
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
        UserMode.resume(status: ProcessEnd.killedStatus(fault))
    }

    @inline(never) private static func reportKill(_ fault: FaultName, rip: UInt64, rsp: UInt64, errorCode: UInt64) {
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
                .endWithText(UnsafeRawBufferPointer(rebasing: bytes[0..<process.output.count]))
        }
        process.output.count = 0
    }

    /// "build/user/hello.elf args" -> "hello".
    static func programName(_ string: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var end = string.count
        if let space = string.firstIndex(of: 0x20) { end = space }
        var start = 0
        for index in 0..<end where string[index] == UInt8(ascii: "/") { start = index + 1 }
        if end - start > 4 && string[end - 4] == UInt8(ascii: ".") && string[end - 3] == UInt8(ascii: "e") { end -= 4 }
        return UnsafeRawBufferPointer(rebasing: string[start..<end])
    }
}

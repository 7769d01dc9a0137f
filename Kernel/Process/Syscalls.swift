// The syscall entry: registers -> Syscalls' decode -> the process's memory calls or the process
// calls (validate -> invoke, all in the shared module) -> rax. A process call may switch to other
// processes (yield, a wait that blocks) and come back here later, on this process's own stack. Every call is logged at `debug`, a refusal with its
// errno and its named reason. Time spent here counts against the process's CPU-time limit
// (ProcessClock), checked on the way back to ring 3.
import KernelLog
import PhysicalMemory
import MemoryObjects
import Syscalls

@_cdecl("kernel_handle_syscall")
func kernelHandleSyscall(_ raw: UnsafeMutableRawPointer) {
    let frame = raw.assumingMemoryBound(to: SyscallFrame.self)
    ProcessClock.enterKernel()
    let (a0, a1, a2, a3, a4, a5) = frame.pointee.arguments
    let request = SyscallRequest.decode(number: frame.pointee.number, a0, a1, a2, a3, a4, a5)
    // exit switches away for good, abandoning this stack: no strong reference to the process may
    // be held here at that point, or its release would be lost (the same holds for the CPU-time
    // kill below: dispatchSyscall has released its reference).
    if case .exit(let code) = request { Processes.exitCurrent(code: code) }
    frame.pointee.rax = UInt64(bitPattern: dispatchSyscall(request, a0, a1, a2, a3, a4, a5))
    if request.mayChangeMemory { InvariantChecks.afterChange("syscall") }
    if Scheduler.currentIsDeadlocked() { Processes.killCurrent(frame.pointee, fault: .deadlock) }
    if !ProcessClock.leaveKernel() { Processes.killCurrent(frame.pointee, fault: .cpuTimeLimit) }
}

/// `vm oom` at info: a charge was refused (ENOMEM). Names the process, the call and the pages it
/// asked to add, the process's committed and resident pages, and the system's commit and free figures.
private func reportOutOfMemory(_ process: Process, call: StaticString, reason: StaticString) {
    let memory = process.memory
    log.line(.info, "vm", "oom").dec("pid", process.id).bytes("prog", process.name).text("call", call)
        .dec("request_pages", memory.lastCommitRefusal?.requestedPages ?? 0).text("reason", reason)
        .dec("committed", memory.committedPages).dec("resident", UInt64(memory.pagesMapped)).dec("quota", memory.quotaPages)
        .dec("commit_limit", UserCommit.ledger.limitPages).dec("committed_total", UserCommit.ledger.committedPages)
        .dec("free_frames", KernelMemory.frames.statistics.freeFrames).end()
}

@inline(never) private func dispatchSyscall(
    _ request: SyscallRequest, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64,
    _ a3: UInt64, _ a4: UInt64, _ a5: UInt64
) -> Int64 {
    guard let process = CPULocal.this.current else { panic("syscall with no current process") }
    let outcome: SyscallOutcome
    switch request {
    case .memory(let call):
        var machine = KernelMachine(process: process)
        outcome = process.memory.perform(call, machine: &machine)
        let line = log.line(.debug, "sys", call.number.name).dec("pid", process.id).hex("a0", a0).hex("a1", a1)
            .hex("a2", a2)
        if call.number == .map || call.number == .remap { line.hex("a3", a3) }  // the calls with a fourth argument
        if call.number == .remap { line.hex("a4", a4) }  // remap's fixed destination (r8)
        line.dec("result", Int(outcome.result))
        if let rejection = outcome.rejection { line.text("errno", rejection.errno.name).text("reason", rejection.reason.name) }
        line.end()
        if let rejection = outcome.rejection, rejection.reason == .commitLimit || rejection.reason == .quotaExceeded {
            reportOutOfMemory(process, call: call.number.name, reason: rejection.reason.name)
        }
    case .process(let call):
        var machine = KernelProcessMachine(process: process)
        outcome = ProcessCalls.perform(call, machine: &machine)
        let line = log.line(.debug, "sys", call.number.name).dec("pid", process.id).hex("a0", a0).hex("a1", a1)
            .dec("result", Int(outcome.result))
        if let rejection = outcome.rejection { line.text("errno", rejection.errno.name).text("reason", rejection.reason.name) }
        line.end()
    case .object(let call):
        var machine = KernelObjectMachine(process: process)
        outcome = ObjectCalls.perform(call, machine: &machine)
        let line = log.line(.debug, "sys", call.number.name).dec("pid", process.id).hex("a0", a0).hex("a1", a1)
            .hex("a2", a2).hex("a3", a3).hex("a4", a4).hex("a5", a5).dec("result", Int(outcome.result))
        if let rejection = outcome.rejection { line.text("errno", rejection.errno.name).text("reason", rejection.reason.name) }
        line.end()
        ObjectLog.call(call, result: outcome.result, process: process)
        if let rejection = outcome.rejection, rejection.reason == .object(.commitLimit) {
            reportOutOfMemory(process, call: call.number.name, reason: rejection.reason.name)
        }
    case .unknown(let number):
        outcome = .unknownNumber
        log.line(.debug, "sys", "unknown").dec("pid", process.id).dec("number", number).end()
    case .exit:
        panic("exit returned")
    }
    if case .object = request {
    } else {  // a memory or process call may have faulted object pages in (CoW)
        var machine = KernelObjectMachine(process: process)
        ObjectCalls.reconcileStalePages(machine: &machine)
    }
    ObjectLog.settle(pid: process.id)
    return outcome.result
}

extension SyscallRequest {
    /// Whether the call may change an allocator's or a process's memory (the checks build runs
    /// every checker after those; yield and getpid change only the scheduler's table, which
    /// Scheduler checks at each switch).
    var mayChangeMemory: Bool {
        switch self {
        case .process(.yield), .process(.getpid), .unknown: false
        default: true
        }
    }
}

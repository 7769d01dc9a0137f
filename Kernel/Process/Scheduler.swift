// The scheduler: preemptive round robin over Scheduling's ProcessTable, xv6-style: a loop on the
// boot stack (`runUntilAllEnded`) picks the next runnable process and switches to it; the process
// switches back when it yields, waits, is preempted or ends, and the loop destroys an ended one
// (its memory, page tables and kernel stack) from the boot stack, never from the stack being freed.
//
// Time slice: 10 ms, one tick of the 100 Hz PIT (ProgrammableTimer). A tick that interrupts ring 3
// while another process is runnable moves the running one to the back of the queue; so a process
// runs at most until the next tick after it got the CPU (up to 10 ms, less when it got the CPU
// between ticks), and one alone keeps the CPU. Idle: with nothing runnable the loop halts
// (`sti; hlt`) until an interrupt.
//
// What runs with interrupts off, and why nothing needs a lock: ALL kernel code. Syscalls enter
// with IF cleared (SFMASK), interrupts and exceptions through interrupt gates (IF cleared), and
// the kernel never sets IF except in the idle loop's `sti; hlt; cli`, where no kernel state is
// half-changed. Preemption happens only when the timer interrupts ring 3. So the kernel heap, the
// frame allocator, page tables (the kernel's and every process's) and this table are only ever
// changed by one flow of kernel code at a time, which runs to a switch point (yield, wait, exit,
// a tick from ring 3) with every structure consistent. A second CPU would need locks here and
// per-CPU run state (CPULocal is already the one place for the latter).
import KernelLog
import Scheduling
import Syscalls

enum Scheduler {
    /// Processes in the table at once (live and unreaped); also the kernel-stack slots.
    static let capacity = 128
    /// Entries per process tree (a boot program and everything it spawns, directly or not).
    static let treeLimit = 16
    nonisolated(unsafe) static var table = ProcessTable(capacity: capacity, treeLimit: treeLimit)
    /// The resources of every process not yet destroyed, in pid order.
    nonisolated(unsafe) static var records: [Process] = []
    /// Switches to a process, and halts of the idle loop (the summary's figures).
    nonisolated(unsafe) static var switches: UInt64 = 0
    nonisolated(unsafe) static var idleHalts: UInt64 = 0
    /// Set while the monitor's prompt waits for input: every tick from ring 3 returns to it.
    nonisolated(unsafe) static var preemptEveryTick = false

    /// Whether a tick from ring 3 should take the CPU from the running process.
    static var tickPreempts: Bool { table.othersRunnable || preemptEveryTick }

    static func record(_ id: Int) -> Process? {
        for process in records where process.id == id { return process }
        return nil
    }

    static var anyAlive: Bool { table.aliveCount > 0 }

    /// Runs processes until none is alive.
    static func runUntilAllEnded() {
        while anyAlive { runNext() }
    }

    /// One turn: the next runnable process runs until it gives the CPU back (destroyed here if it
    /// ended); with none runnable, halts until the next interrupt.
    static func runNext() {
        guard let id = table.next() else {
            if table.isDeadlocked {
                breakDeadlock()
                return
            }
            idleHalts += 1
            cpu_idle_until_interrupt()
            return
        }
        guard let process = record(id.raw) else { panic("runnable process without a record", "pid", UInt64(id.raw)) }
        switches += 1
        ContextSwitch.run(process)
        checkInvariants("switch")
        if process.end != nil {
            Processes.finish(process)
            records.removeAll { $0 === process }
        }
    }

    /// No process is left: the table's and the records' storage goes back to the heap.
    static func releaseStorage() {
        table.releaseStorage()
        records = []
    }

    // MARK: - Called by the running process, on its own kernel stack

    /// The running process goes to the back of the queue (a yield, or a tick that preempts it).
    static func yieldCurrent() {
        table.preemptCurrent()
        giveBackCPU()
    }

    /// Blocks the running process until its child `pid` (nil: any) has ended, then reaps it.
    static func waitForChild(_ pid: UInt64?) -> ChildWait {
        let wanted = pid.map { ProcessID(Int($0)) }
        while true {
            switch table.wait(for: wanted) {
            case .reaped(let child, let status): return .ended(pid: UInt64(child.raw), status: status)
            case .noSuchChild: return .noSuchChild
            case .blocked: giveBackCPU()  // woken by the child's end: look again
            }
        }
    }

    /// Blocks the running process on `event` (a channel endpoint's receive) until `wake(event)`;
    /// returns when it runs again. The caller re-checks its condition (a wake is a hint: another
    /// receiver on the same endpoint may have taken the message first). Only the running process
    /// blocks and only a running process ends, so no ended process is left in a wait.
    /// Returns false when the deadlock breaker woke it: the caller stops waiting, and the
    /// syscall entry kills the process on its way out (fault `deadlock`).
    static func blockCurrent(on event: WaitEvent) -> Bool {
        table.block(on: event)
        giveBackCPU()
        return !currentIsDeadlocked()
    }

    @inline(never) static func currentIsDeadlocked() -> Bool { CPULocal.this.current?.deadlocked ?? false }

    /// Every live process is blocked in a receive or waits for a child: nothing can ever wake them
    /// (only a running process sends or closes). Each blocked receiver runs once more, marked, and
    /// is killed on its way out of the receive; their ends close their handles and end the waits.
    private static func breakDeadlock() {
        for id in table.wakeAllBlocked() {
            guard let process = record(id.raw) else { panic("blocked process without a record", "pid", UInt64(id.raw)) }
            process.deadlocked = true
            log.line(.warn, "proc", "deadlock").dec("pid", process.id).bytes("prog", process.name)
                .dec("alive", table.aliveCount).end()
        }
    }

    /// Every process blocked on `event` becomes runnable (a message was queued, or the peer closed).
    static func wake(_ event: WaitEvent) {
        table.wake(event)
    }

    /// The running process ended: the scheduler destroys it and never switches back. The caller
    /// must hold no strong reference (its frame is abandoned: the release would never run).
    static func endCurrent(_ end: ProcessEnd) -> Never {
        markCurrentEnded(end)
        giveBackCPU()
        panic("an ended process was switched to")
    }

    @inline(never) private static func markCurrentEnded(_ end: ProcessEnd) {
        guard let process = CPULocal.this.current else { panic("no current process to end") }
        process.end = end
        let effects = table.exitCurrent(status: end.statusWord)
        for orphan in effects.orphaned {
            log.line(.info, "proc", "orphaned").dec("pid", orphan.raw).dec("parent_ended", process.id).end()
        }
    }

    /// Switches to the scheduler; returns when this process runs again.
    @inline(never) private static func giveBackCPU() {
        ContextSwitch.toScheduler(from: currentSlot())
    }

    /// Out of line, so the reference it takes is released before the switch.
    @inline(never) private static func currentSlot() -> UnsafeMutablePointer<UInt64> {
        guard let process = CPULocal.this.current else { panic("no current process to switch from") }
        ProcessClock.switchOut()
        return process.kernelStack!.savedStackPointer
    }

    /// The table's checker (checks build only). A switch changes no allocator: the full set of
    /// checkers runs after the calls that do (InvariantChecks, from the syscall entry and here).
    static func checkInvariants(_ event: StaticString) {
        #if SWIFTMM_CHECKS
        if table.checkInvariants(stillBlocks: Objects.receiverStillBlocks) != nil {
            panic("process table invariant broken (checks build)")
        }
        #endif
    }
}

// Scheduling: which process runs, which wait, who is whose child, and who reaps whom, as pure
// logic over process ids. The kernel (Kernel/Process/Scheduler.swift) drives one ProcessTable:
// it asks `next()` whom to run, reports a timer tick or a yield (`preemptCurrent`), a wait
// (`wait`), an exit or a kill (`exit`), and does the machine's part (context switch, kernel
// stacks, address spaces) around each answer. The host tests drive the same table against a
// reference model with the invariant checker after every operation.
//
//   ProcessTable.swift            the table: entries, the round-robin run queue, the current process
//   ProcessTable+Lifecycle.swift  create, run, preempt, wait, exit (the state transitions)
//   ProcessTable+Invariants.swift the invariant checker
//
// States (exactly one per entry; ProcessState):
//   runnable  -> in the run queue, exactly once
//   running   -> the CPU's current process (at most one)
//   waiting   -> blocked in wait for one child or any; has at least one live matching child
//   blocked   -> waits for an event (a channel endpoint) the kernel signals with `wake`; not
//                queued; the kernel's `stillBlocks` judges in the checker that no wakeup was lost
//   zombie    -> ended, its status kept until its parent reaps it (memory already returned)
// A process whose parent ended is an orphan: it runs on, and when it ends nobody needs its
// status, so it is reaped at once. A parent's zombie children are reaped when the parent ends.

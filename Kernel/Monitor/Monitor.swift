// The live monitor: with `monitor` on the kernel command line (`make monitor`), after the boot
// demo the kernel reads commands at an `mm>` prompt on COM1 (polling; interrupts stay off) and
// answers with ordinary log lines (subsystem `mon`), so a transcript is a log mmlog reads.
// Commands are in MonitorCommands.swift; `quit` waits for the programs still running, then returns
// to the boot sequence, which prints the summary and powers off. Programs started with `run` go
// on in the background: while no byte has arrived the prompt lets the scheduler run them (and
// every tick from ring 3 gives the CPU back, so a typed line is read within 10 ms); `ps` lists them.
//
// Policy for what the session leaves behind (decided here, stated at `quit`): every kalloc block
// and falloc run still held is reported by a `warn mon leak` line, then freed, so the summary's
// balance checks keep testing the kernel's own accounting. Bad frees the session provokes on
// purpose (`kfree` of a pointer the heap rejects) are counted and expected by the summary.
import MemoryCore
import KernelLog
import BuddyHeap

enum Monitor {
    nonisolated(unsafe) static var session = MonitorSession()
    /// Heap errors the session provoked (the heap detected a bad kfree): expected by the summary.
    nonisolated(unsafe) static var provokedHeapErrors = 0
    nonisolated(unsafe) static var modules: BootInfo? = nil

    /// Replies are printed whatever the log threshold (`log error` must not silence the monitor).
    static var reply: Logger<SerialSink> {
        var logger = log
        logger.threshold = .trace
        return logger
    }

    /// The next typed byte; until it arrives, the processes run.
    static func readByte() -> UInt8 {
        Scheduler.preemptEveryTick = true
        defer { Scheduler.preemptEveryTick = false }
        while !SerialPort.hasReceivedByte {
            if Scheduler.anyAlive { Scheduler.runNext() }
        }
        return SerialPort.read()
    }

    static func run(_ info: BootInfo) {
        modules = info
        Processes.modules = info
        reply.line(.info, "mon", "ready").dec("programs", info.moduleCount).endWithText("type help for the commands")
        while true {
            prompt()
            let line = MonitorLine.read()
            if line.overflowed {
                error("line-too-long", "at most 120 characters")
                continue
            }
            guard let words = line.words() else {
                error("too-many-words", "at most 4 words")
                continue
            }
            guard words.count > 0 else { continue }
            if line.word(words, 0, is: "quit") {
                if Scheduler.anyAlive {
                    reply.line(.info, "mon", "quit").dec("running", Scheduler.records.count)
                        .endWithText("waiting for the programs still running to end")
                    Scheduler.runUntilAllEnded()
                }
                Objects.reportAllEnded()
                Scheduler.releaseStorage()  // the frame balance is the summary's (the session's own runs count too)
                quit()
                return
            }
            MonitorCommands.dispatch(line, words)
        }
    }

    static func prompt() {
        SerialPort.write(UInt8(ascii: "m"))
        SerialPort.write(UInt8(ascii: "m"))
        SerialPort.write(UInt8(ascii: ">"))
        SerialPort.write(0x20)
    }

    /// One `warn mon error` line: a reason word and a hint.
    static func error(_ reason: StaticString, _ hint: StaticString) {
        reply.line(.warn, "mon", "error").text("reason", reason).endWithText(hint)
    }

    /// Reports and frees what the session still holds, then returns to the boot sequence.
    static func quit() {
        var blocks = 0, frames: UInt64 = 0
        for index in 0 ..< MonitorSession.capacity where session.blocks[index] != 0 {
            let pointer = session.blocks[index]
            reply.line(.warn, "mon", "leak").text("kind", "kalloc").address("ptr", pointer)
                .dec("block", UInt64(KernelHeap.blockByteCount(at: VirtualAddress(pointer)) ?? 0)).end()
            MonitorCommands.freeBlock(pointer)
            blocks += 1
        }
        for index in 0 ..< MonitorSession.capacity where session.runs[index].1 != 0 {
            let (address, count) = session.runs[index]
            reply.line(.warn, "mon", "leak").text("kind", "falloc").address("base", address).dec("frames", count).end()
            MonitorCommands.freeRun(address)
            frames += count
        }
        reply.line(.info, "mon", "quit").dec("kalloc_left", blocks).dec("frames_left", frames)
            .text("freed", "yes").dec("provoked_heap_errors", provokedHeapErrors)
            .endWithText("what the session left is listed above and was freed before the summary")
    }
}

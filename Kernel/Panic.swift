// The kernel's panic path: print what went wrong (with the numbers involved: Embedded Swift's
// own messages are static strings), print a failing summary, and exit QEMU with the fail code.
// Never a silent reboot loop.

import KernelLog

/// Stops the kernel: `panic reason=... value=...` on the serial port, then QEMU exits with failure.
func panic(_ reason: StaticString, _ key: StaticString = "value", _ value: UInt64 = 0) -> Never {
    cpu_disable_interrupts()
    log.line(.error, "panic", "panic").text("reason", reason).hex(key, value).end()
    log.timeField(log.bare("summary").text("result", "fail").text("cause", "panic")).end()
    QEMUExit.exit(passed: false)
}

// kernel_main: the boot sequence, in the order memory becomes available.
import MemoryCore
import KernelLog

@_cdecl("kernel_main")
func kernelMain(_ magic: UInt32, _ infoAddress: UInt32) {
    SerialPort.initialize()
    InterruptDescriptorTable.install()
    log.line(.info, "boot", "start").text("kernel", "swiftmm").hex("magic", UInt64(magic)).end()
    guard magic == MultibootInfo.bootloaderMagic else {
        log.line(.error, "boot", "bad-magic").hex("magic", UInt64(magic))
            .hex("expected", UInt64(MultibootInfo.bootloaderMagic)).end()
        panic("not booted by a multiboot loader", "magic", UInt64(magic))
    }
    let info = MultibootInfo(at: PhysicalAddress(UInt64(infoAddress)))
    if let commandLine = info.commandLine {
        let options = KernelCommandLine(commandLine.text)
        log.threshold = options.logLevel
        log.line(.info, "boot", "cmdline").bytes("text", commandLine.text).text("log", options.logLevel.name).end()
    }
    cpu_breakpoint()
    log.bare("summary").text("result", "pass").end()
    QEMUExit.exit(passed: true)
}

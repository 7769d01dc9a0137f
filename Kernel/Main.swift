// kernel_main: the boot sequence, in the order memory becomes available.
//   serial log -> exception handlers -> multiboot checks -> physical memory (map, reservations,
//   direct map, frame allocator) -> kernel heap (the bump allocator's work is done: from here
//   on Swift may allocate) -> demo (or, in the test kernel, the test suite)
//   -> user programs (the multiboot modules, each in its own address space, all at once under
//   the scheduler, until the last ends) -> summary -> power
//   off with the pass or fail code.
import MemoryCore
import KernelLog
import PhysicalMemory
import BootOptions

@_cdecl("kernel_main")
func kernelMain(_ magic: UInt32, _ infoAddress: UInt32) {
    SerialPort.initialize()
    BootClock.calibrate()
    InterruptDescriptorTable.install()
    log.line(.info, "boot", "log-format").dec("version", Logger<SerialSink>.formatVersion).end()
    log.line(.info, "boot", "start").text("kernel", "swiftmm").hex("magic", UInt64(magic)).end()
    guard let info = BootInfo(magic: magic, address: infoAddress) else {
        log.line(.error, "boot", "bad-magic").hex("magic", UInt64(magic))
            .hex("multiboot1", UInt64(MultibootInfo.bootloaderMagic)).hex("multiboot2", UInt64(Multiboot2Info.bootloaderMagic))
            .end()
        panic("not booted by a multiboot loader", "magic", UInt64(magic))
    }
    logLoader(info, infoAddress: infoAddress)
    let options = applyCommandLine(info)
    CPUFeatures.enable()
    let layout = BootImageLayout.current()
    logLayout(layout)
    log.line(.info, "boot", "clock").dec("tsc_khz", BootClock.ticksPerMillisecond)
        .text("source", BootClock.calibrated ? "pit-channel-2" : "assumed-1ghz").end()
    PhysicalMemoryBoot.run(info: info, layout: layout)
    GlobalDescriptorTable.install()
    KernelAddressSpace.build(layout: layout, map: KernelMemory.map)
    SyscallMSRs.enable()
    ProgrammableTimer.start(cpuLimitMilliseconds: options.cpuLimitMilliseconds)
    UserCommit.setUp(quotaMiB: options.commitQuotaMiB)
    KernelMemory.freeFramesAtBoot = KernelMemory.frames.statistics.freeFrames
    KernelHeap.initialize()
    MemoryRequirement.check()
    if let fault = options.injectedFault { fault.trigger() }

    #if KERNEL_SELFTEST
    let passed = SelfTests.runAll()
    let expectedHeapErrors = HeapSelfTests.provokedErrors
    #else
    let passed = FrameDemo.run() && HeapDemo.run()
    let expectedHeapErrors = HeapDemo.deliberateErrors
    #endif
    if options.monitor { Monitor.run(info) } else { Processes.runModules(info) }
    HeapReport.summary()
    HeapReport.shutdown()
    let result = Summary.print(passed: passed, expectedHeapErrors: expectedHeapErrors + Monitor.provokedHeapErrors)
    QEMUExit.exit(passed: result)
}

/// Which loader booted the kernel, by which protocol, and where it left its information.
private func logLoader(_ info: BootInfo, infoAddress: UInt32) {
    let line = log.line(.info, "boot", "loader").text("protocol", info.protocolName)
    if let name = info.loaderName { line.bytes("name", name.bytes) } else { line.text("name", "unnamed") }
    line.address("info", UInt64(infoAddress)).dec("modules", info.moduleCount).end()
}

/// Parses the command line (BootOptions): the log threshold first, then one `warn` line per word
/// the kernel does not use, then one line with what applies. A multiboot1 loader (QEMU -kernel)
/// puts the image path first; a multiboot2 loader (GRUB) passes only the arguments.
private func applyCommandLine(_ info: BootInfo) -> BootOptions {
    let text = info.commandLine?.text.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
    var imagePathFirst = false
    if case .multiboot1 = info { imagePathFirst = true }
    let options = KernelCommandLine.parse(text, firstWordIsImagePath: imagePathFirst) { _, _ in }
    log.threshold = options.logLevel
    var ignored = 0
    _ = KernelCommandLine.parse(text, firstWordIsImagePath: imagePathFirst) { word, problem in
        ignored += 1
        log.line(.warn, "boot", "cmdline-ignored").bytes("word", word).text("reason", problem.name).end()
    }
    log.line(.info, "boot", "cmdline").bytes("text", text).text("log", options.logLevel.name)
        .dec("cpu_limit_ms", options.cpuLimitMilliseconds).dec("commit_quota_mb", options.commitQuotaMiB)
        .text("fault", options.injectedFault?.name ?? "none")
        .dec("ignored_words", ignored).end()
    return options
}

private func logLayout(_ layout: BootImageLayout) {
    log.line(.info, "boot", "image").address("start", layout.image.start.raw).address("end", layout.image.end.raw)
        .size("size", layout.image.byteCount).size("text", layout.text.byteCount)
        .size("rodata", layout.rodata.byteCount).size("data_bss", layout.data.byteCount).end()
}

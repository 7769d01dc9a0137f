// The monitor's commands. Each answers with `info mon <command>` lines (or one `warn mon error`
// line for bad input) and leaves the kernel as it found it unless the command is meant to change
// it (kalloc, kfree, falloc, ffree, run, log).
import MemoryCore
import KernelLog
import PhysicalMemory
import BuddyHeap
import PageTables
import Scheduling
import Syscalls

enum MonitorCommands {
    static var reply: Logger<SerialSink> { Monitor.reply }

    static func dispatch(_ line: MonitorLine, _ words: MonitorWords) {
        func isCommand(_ name: StaticString) -> Bool { line.word(words, 0, is: name) }
        if isCommand("help") {
            help()
        } else if isCommand("frames") {
            frames()
        } else if isCommand("buddyinfo") {
            buddyinfo()
        } else if isCommand("heap") {
            heap()
        } else if isCommand("slabs") {
            HeapReport.writeSlabCaches(to: reply, subsystem: "mon", atShutdown: false)
        } else if isCommand("ps") {
            ps()
        } else if isCommand("vm") {
            withNumber(line, words, 1, "vm PID") { vm(pid: $0) }
        } else if isCommand("kalloc") {
            withNumber(line, words, 1, "kalloc SIZE [ALIGN]") { size in
                withOptionalNumber(line, words, 2, default: 16) { kalloc(size: size, alignment: $0) }
            }
        } else if isCommand("kfree") {
            withNumber(line, words, 1, "kfree ADDR") { kfree($0) }
        } else if isCommand("falloc") {
            withNumber(line, words, 1, "falloc COUNT [ALIGN]") { count in
                withOptionalNumber(line, words, 2, default: 1) { falloc(count: count, alignment: $0) }
            }
        } else if isCommand("ffree") {
            withNumber(line, words, 1, "ffree ADDR") { ffree($0) }
        } else if isCommand("run") {
            guard words.count == 2 else { return Monitor.error("usage", "run PROGRAM (a boot module by name; see help)") }
            line.withWord(words, 1) { run($0) }
        } else if isCommand("log") {
            guard words.count == 2, let level = line.withWord(words, 1, { LogLevel(name: $0) }) else {
                return Monitor.error("usage", "log error|warn|info|debug|trace")
            }
            log.threshold = level
            reply.line(.info, "mon", "log").text("level", level.name).end()
        } else {
            Monitor.error("unknown-command", "type help for the commands")
        }
    }

    // MARK: - Arguments

    static func withNumber(
        _ line: MonitorLine, _ words: MonitorWords, _ index: Int, _ usage: StaticString, _ body: (UInt64) -> Void
    ) {
        guard words.count > index else { return Monitor.error("missing-argument", usage) }
        guard let value = line.number(words, index) else {
            return Monitor.error("bad-number", "numbers are decimal or 0x-hex, sizes may end in K, M or G")
        }
        body(value)
    }

    static func withOptionalNumber(
        _ line: MonitorLine, _ words: MonitorWords, _ index: Int, default value: UInt64, _ body: (UInt64) -> Void
    ) {
        guard words.count > index else { return body(value) }
        guard let number = line.number(words, index) else {
            return Monitor.error("bad-number", "numbers are decimal or 0x-hex, sizes may end in K, M or G")
        }
        guard number != 0, number & (number - 1) == 0 else {
            return Monitor.error("bad-alignment", "an alignment is a power of two")
        }
        body(number)
    }

    // MARK: - Looking

    static func help() {
        for index in 0 ..< helpLineCount { reply.line(.info, "mon", "help").endWithText(helpLine(index)) }
        guard let info = Monitor.modules else { return }
        for index in 0 ..< info.moduleCount {
            reply.line(.info, "mon", "program").bytes(
                "name", Processes.programName(MultibootInfo.zeroTerminated(at: info.module(index).nameAddress))
            ).end()
        }
    }

    static let helpLineCount = 13

    /// A switch, not an array: the monitor's own output allocates nothing.
    static func helpLine(_ index: Int) -> StaticString {
        switch index {
        case 0: "frames               free/used frames and the largest free run"
        case 1: "buddyinfo            the kernel heap's free and cached blocks per order"
        case 2: "heap                 kernel heap statistics"
        case 3: "slabs                the slab layer and its caches (named, and classes in use)"
        case 4: "ps                   live processes (run starts one in the background)"
        case 5: "vm PID               a process's regions (0: the kernel's address space)"
        case 6: "kalloc SIZE [ALIGN]  a kernel heap block, showing the splits it caused"
        case 7: "kfree ADDR           free a kalloc block, showing the merges it caused"
        case 8: "falloc COUNT [ALIGN] a run of frames from the frame allocator"
        case 9: "ffree ADDR           free a falloc run"
        case 10: "run PROGRAM          run a boot module by name"
        case 11: "log LEVEL            error, warn, info, debug or trace"
        default: "quit                 report and free what the session left, print the summary, power off"
        }
    }

    static func frames() {
        let stats = KernelMemory.frames.statistics
        let largest = KernelMemory.frames.largestFreeRun()
        reply.line(.info, "mon", "frames").dec("total", stats.totalFrames).dec("free", stats.freeFrames)
            .dec("used", stats.usedFrames).dec("reserved", stats.reservedFrames).size("free_size", stats.freeFrames * frameSize)
            .dec("largest_free_run", largest).size("largest_free_run_size", largest * frameSize).end()
    }

    static func buddyinfo() {
        guard KernelHeap.isReady else { return Monitor.error("no-heap", "the heap is not ready") }
        let stats = KernelHeap.statistics
        reply.line(.info, "mon", "buddyinfo").dec("arenas", stats.arenasHeld).dec("live_allocations", stats.liveAllocations)
            .size("live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)).end()
        for raw in 0 ..< stats.freeBlocks.orderCount {
            let order = BlockOrder(raw)
            reply.line(.info, "mon", "order").dec("order", raw).size("block", UInt64(order.byteCount))
                .dec("free", stats.freeBlocks[order]).dec("cached", stats.cachedBlocks[order]).end()
        }
    }

    static func heap() {
        guard KernelHeap.isReady else { return Monitor.error("no-heap", "the heap is not ready") }
        let stats = KernelHeap.statistics
        reply.line(.info, "mon", "heap").dec("live_allocations", stats.liveAllocations)
            .size("live", UInt64(stats.liveBlockBytes + stats.liveLargeBytes)).size("peak_live", UInt64(stats.peakLiveBytes))
            .dec("arenas", stats.arenasHeld).dec("allocs", stats.allocations).dec("frees", stats.frees)
            .dec("splits", stats.splits).dec("merges", stats.merges).dec("errors", stats.errorsDetected).end()
    }

    static func ps() {
        let line = reply.line(.info, "mon", "ps").dec("running", Scheduler.records.count).dec("started", Processes.started)
            .dec("killed", Processes.killed).dec("concurrent_peak", Scheduler.table.peakAlive)
        if Processes.started > 0 {
            line.dec("last_pages_peak", Processes.lastPeakPages)
            switch Processes.lastEnd {
            case .exited(let code)?: line.text("last_status", "exited").dec("last_code", code)
            case .killed(let fault)?: line.text("last_status", "killed").text("last_fault", fault.name)
            case nil: line.text("last_status", "not-started")
            }
        }
        line.endWithText("programs started with run go on in the background while the prompt waits")
        for process in Scheduler.records {
            let entry = Scheduler.table.entry(ProcessID(process.id))
            let state: StaticString =
                switch entry?.state {
                case .runnable?: "runnable"
                case .running?: "running"
                case .waiting?: "waiting"
                case .blocked?: "blocked"
                case .zombie?, nil: "ended"
                }
            let row = reply.line(.info, "mon", "process").dec("pid", process.id).bytes("prog", process.name).text("state", state)
            if let parent = process.parentID { row.dec("parent", parent) }
            row.dec("pages", UInt64(process.memory.pagesMapped)).dec("cpu_user_ms", ProcessClock.milliseconds(process.userCycles))
                .dec("cpu_kernel_ms", ProcessClock.milliseconds(process.kernelCycles)).end()
        }
    }

    /// pid 0: the kernel's address space, region by region (runs of pages with the same size and
    /// permissions, physically contiguous). Other pids have ended: their spaces were destroyed.
    static func vm(pid: UInt64) {
        guard pid == 0 else {
            guard pid <= UInt64(Processes.started) else {
                return Monitor.error("no-such-process", "ps lists the processes started so far")
            }
            if Scheduler.record(Int(pid)) != nil {
                reply.line(.info, "mon", "vm").dec("pid", pid).text("state", "alive")
                    .endWithText("memstat in the program shows its pages; its space is destroyed when it ends")
                return
            }
            reply.line(.info, "mon", "vm").dec("pid", pid).text("state", "ended")
                .endWithText("its address space was destroyed at exit and every frame returned (see its proc end line)")
            return
        }
        guard let space = KernelAddressSpace.space else { return Monitor.error("no-kernel-space", "not built yet") }
        // Walk to the end of usable RAM (the identity map covers it; beyond are only holes).
        var end: UInt64 = 0
        for index in 0 ..< KernelMemory.map.count where KernelMemory.map[index].kind == .usable {
            end = max(end, min(KernelMemory.map[index].range.end.raw, KernelAddressSpace.identityMapLimit.raw))
        }
        var address: UInt64 = 0
        var region: (start: UInt64, end: UInt64, flags: PageFlags, size: PageSize)? = nil
        var regions = 0
        while address < end {
            guard let translation = space.translate(VirtualAddress(address)) else {
                if let open = region {
                    printRegion(open)
                    regions += 1
                    region = nil
                }
                address += frameSize
                continue
            }
            let step = translation.size == .size4KiB ? frameSize : (translation.size == .size2MiB ? 2 * MiB : GiB)
            let pageStart = address & ~(step - 1)
            let flags = translation.flags.intersection([.writable, .noExecute, .user])
            if let open = region, open.end == pageStart, open.flags == flags, open.size == translation.size {
                region!.end = pageStart + step
            } else {
                if let open = region {
                    printRegion(open)
                    regions += 1
                }
                region = (pageStart, pageStart + step, flags, translation.size)
            }
            address = pageStart + step
        }
        if let open = region {
            printRegion(open)
            regions += 1
        }
        reply.line(.info, "mon", "vm").dec("pid", 0).dec("regions", regions).text("mapping", "identity").end()
    }

    static func printRegion(_ region: (start: UInt64, end: UInt64, flags: PageFlags, size: PageSize)) {
        reply.line(.info, "mon", "vm-region").address("start", region.start).address("end", region.end)
            .size("size", region.end - region.start).text("perm", ProgramLoading.permissionText(region.flags.union(.present)))
            .text("page", region.size == .size4KiB ? "4KiB" : (region.size == .size2MiB ? "2MiB" : "1GiB")).end()
    }

    // MARK: - Changing

    static func kalloc(size: UInt64, alignment: UInt64) {
        guard size > 0, size <= 64 * MiB, alignment <= 2 * MiB else {
            return Monitor.error("bad-size", "1 byte to 64M, alignment up to 2M")
        }
        let before = KernelHeap.statistics
        guard let block = KernelHeap.allocateBlock(byteCount: Int(size), alignment: Int(alignment), for: .monitor) else {
            return reply.line(.warn, "mon", "kalloc").dec("size", size).text("result", "refused").end()
        }
        let address = block.raw
        guard Monitor.session.addBlock(address) else {
            KernelHeap.free(block: block, for: .monitor)
            return Monitor.error("session-full", "the monitor tracks 32 blocks at most: kfree some first")
        }
        let after = KernelHeap.statistics
        let line = reply.line(.info, "mon", "kalloc").address("ptr", address).dec("size", size).dec("align", alignment)
            .dec("block", UInt64(KernelHeap.blockByteCount(at: block) ?? 0))
        KernelHeap.orderField(line, at: block).dec("splits", after.splits - before.splits).dec(
            "arenas_taken", after.arenasAcquired - before.arenasAcquired
        ).end()
    }

    static func kfree(_ address: UInt64) {
        guard address != 0 else { return Monitor.error("null", "kfree 0 frees nothing") }
        let block = VirtualAddress(address)
        if Monitor.session.holdsBlock(address) { return freeBlock(address) }
        if KernelHeap.blockByteCount(at: block) != nil {
            return reply.line(.warn, "mon", "kfree").address("ptr", address).text("result", "refused")
                .endWithText("a live block the monitor did not allocate (a kernel object): not freed")
        }
        // Not live: let the heap's own checks judge it (double, foreign, interior or misaligned free).
        let errorsBefore = KernelHeap.statistics.errorsDetected
        KernelHeap.free(block: block, for: .monitor)
        let detected = KernelHeap.statistics.errorsDetected - errorsBefore
        Monitor.provokedHeapErrors += detected
        reply.line(detected > 0 ? .info : .error, "mon", "kfree").address("ptr", address)
            .text("result", detected > 0 ? "rejected-by-heap" : "FREED-UNTRACKED").dec(
                "heap_errors", KernelHeap.statistics.errorsDetected
            )
            .endWithText("the heap detected the bad free, changed nothing, and carries on")
    }

    static func freeBlock(_ address: UInt64) {
        let byteCount = KernelHeap.blockByteCount(at: VirtualAddress(address)) ?? 0
        let before = KernelHeap.statistics
        KernelHeap.free(block: VirtualAddress(address), for: .monitor)
        _ = Monitor.session.removeBlock(address)
        let after = KernelHeap.statistics
        reply.line(.info, "mon", "kfree").address("ptr", address).dec("block", UInt64(byteCount))
            .dec("merges", after.merges - before.merges).dec("arenas_given", after.arenasReleased - before.arenasReleased).end()
    }

    static func falloc(count: UInt64, alignment: UInt64) {
        guard count > 0, count <= 1 << 20, alignment <= 1 << 18 else {
            return Monitor.error("bad-count", "1 to 1048576 frames, alignment up to 262144")
        }
        let largestBefore = KernelMemory.frames.largestFreeRun()
        let first: FrameNumber
        do throws(FrameAllocatorError) {
            first = try KernelMemory.frames.allocate(count: count, alignment: alignment)
        } catch {
            return reply.line(.warn, "mon", "falloc").dec("frames", count).dec("align", alignment).text("error", error.name).end()
        }
        FrameTrace.allocated(first, count: count, owner: .monitor)
        guard Monitor.session.addRun(first.startAddress.raw, frames: count) else {
            try? KernelMemory.frames.free(runStartingAt: first, count: count)
            FrameTrace.freed(first, count: count, owner: .monitor)
            return Monitor.error("session-full", "the monitor tracks 32 runs at most: ffree some first")
        }
        reply.line(.info, "mon", "falloc").address("base", first.startAddress.raw).dec("frames", count)
            .size("size", count * frameSize).dec("align", alignment).dec("largest_free_run_before", largestBefore)
            .dec("largest_free_run_after", KernelMemory.frames.largestFreeRun()).end()
    }

    static func ffree(_ address: UInt64) {
        guard address & (frameSize - 1) == 0 else { return Monitor.error("misaligned", "a frame address is a multiple of 4096") }
        if Monitor.session.holdsRun(startingAt: address) { return freeRun(address) }
        let frame = PhysicalAddress(address).containingFrame
        guard KernelMemory.frames.state(of: frame) == .free else {
            return reply.line(.warn, "mon", "ffree").address("base", address).text("result", "refused")
                .endWithText("not a run the monitor allocated (reserved, or held by the kernel or a process): not freed")
        }
        // Already free: the allocator's own check must refuse it and change nothing.
        let freeBefore = KernelMemory.frames.statistics.freeFrames
        do throws(FrameAllocatorError) {
            try KernelMemory.frames.free(frame)
            reply.line(.error, "mon", "ffree").address("base", address).text("result", "FREED-A-FREE-FRAME").end()
        } catch {
            reply.line(.info, "mon", "ffree").address("base", address).text("result", "rejected").text("error", error.name)
                .text("state", KernelMemory.frames.statistics.freeFrames == freeBefore ? "unchanged" : "CHANGED").end()
        }
    }

    static func freeRun(_ address: UInt64) {
        guard let count = Monitor.session.removeRun(address) else { return }
        let first = PhysicalAddress(address).containingFrame
        do throws(FrameAllocatorError) {
            try KernelMemory.frames.free(runStartingAt: first, count: count)
            FrameTrace.freed(first, count: count, owner: .monitor)
            reply.line(.info, "mon", "ffree").address("base", address).dec("frames", count)
                .dec("largest_free_run", KernelMemory.frames.largestFreeRun()).end()
        } catch {
            reply.line(.error, "mon", "ffree").address("base", address).text("error", error.name).end()
        }
    }

    static func run(_ name: UnsafeRawBufferPointer) {
        guard let info = Monitor.modules else { return }
        for index in 0 ..< info.moduleCount {
            let module = info.module(index)
            let moduleName = Processes.programName(MultibootInfo.zeroTerminated(at: module.nameAddress))
            guard moduleName.elementsEqual(name) else { continue }
            let file = PhysicalBytes(range: module.range).bytes
            switch Processes.start(file, name: moduleName, parent: nil) {
            case .success(let pid): reply.line(.info, "mon", "run").dec("pid", pid).bytes("prog", moduleName).end()
            case .failure: reply.line(.warn, "mon", "run").bytes("prog", moduleName).text("started", "no").end()
            }
            return
        }
        reply.line(.warn, "mon", "error").text("reason", "no-such-program").bytes("name", name)
            .endWithText("help lists the boot modules")
    }
}

// Builds a RunModel from parsed records, one record at a time. A record whose fields do not
// make sense (a frame free of a frame nobody holds, a truncated trace line) becomes a diagnostic
// with its line number; the rest of the log is still read.

public enum RunModelBuilder {
    public static func build(_ log: ParsedLog) -> RunModel {
        var state = State()
        state.model.formatVersion = log.formatVersion
        state.model.lineCount = log.lineCount
        state.model.recordCount = log.records.count
        state.model.diagnostics = log.diagnostics
        state.model.timeUnit = log.formatVersion >= 2 ? "us" : "line"
        for record in log.records { state.take(record) }
        state.finish()
        return state.model
    }

    public static func build(text: String) -> RunModel { build(LogParser.parse(text)) }

    /// Events each subsystem may write (docs/log-format.md); `sys`, `test` and `user` accept any.
    static let knownEvents: [String: Set<String>] = [
        "boot": ["bad-magic", "clock", "cmdline", "cpu", "image", "inject-fault", "loader", "log-format", "start"],
        "cpu": ["breakpoint", "exception", "page-fault", "registers"],
        "demo": [
            "aligned-run", "arrays", "bad-frees", "double-free", "frames-done", "heap-done", "kmalloc",
            "kmalloc-large", "run-unavailable", "single-frames", "tree",
        ],
        "heap": [
            "alloc", "alloc-failed", "bad-free", "buddyinfo", "free", "freelists", "order", "ready", "stats",
            "trimmed", "arena-take", "arena-give", "large-take", "large-give", "slabs", "cache",
        ],
        "pmm": [
            "alloc", "free", "frames", "free-failed", "map", "map-dropped", "map-efi", "map-efi-summary", "map-full",
            "map-raw", "reserved",
        ],
        "proc": ["end", "killed", "loaded", "no-memory", "rejected", "segment", "start"],
        "obj": [
            "all-ended", "clone", "close", "commit", "create", "decommit", "destroy", "duplicate", "fault", "map", "transfer",
        ],
        "chan": ["block", "create", "recv", "send"],
        "vm": ["kernel-space"],
        "panic": ["panic"],
        "summary": ["summary"],
    ]
    static let openSubsystems: Set<String> = ["sys", "test", "user", "mon"]

    struct State {
        var model = RunModel()
        var ownership: [UInt64: FrameOwnerKey] = [:]
        var allocated = 0
        var unknown: [String: (first: Int, count: Int)] = [:]
        var bootDone = false
        var processIndex: [Int: Int] = [:]
        var pendingResident: [Int: Int] = [:]

        mutating func take(_ record: LogRecord) {
            let time =
                record.timeMicroseconds.map { Double($0) }
                ?? (model.formatVersion >= 2 ? model.endTime : Double(record.lineNumber))
            model.endTime = max(model.endTime, time)
            model.subsystemTotals[record.subsystem, default: [:]][record.level, default: 0] += 1
            if !isKnown(record) {
                let key = "\(record.subsystem) \(record.event)"
                unknown[key] = (unknown[key]?.first ?? record.lineNumber, (unknown[key]?.count ?? 0) + 1)
                return
            }
            switch record.subsystem {
            case "boot": boot(record)
            case "pmm": pmm(record, time)
            case "heap": heap(record, time)
            case "proc": proc(record, time)
            case "sys": syscall(record)
            case "user": userOutput(record, time)
            case "cpu": cpu(record, time)
            case "obj":  // one line per copy, or one with count= for copies made by the kernel's own accesses
                if record.event == "fault", record["kind"] == "cow-copy" {
                    model.cowCopyFaults += Int(record["count"] ?? "1") ?? 1
                }
            case "summary", "panic":
                if record.isSummary {
                    model.summary = record.fields
                    model.summaryLine = record.lineNumber
                }
            default: break
            }
        }

        func isKnown(_ record: LogRecord) -> Bool {
            if RunModelBuilder.openSubsystems.contains(record.subsystem) { return true }
            return RunModelBuilder.knownEvents[record.subsystem]?.contains(record.event) ?? false
        }

        mutating func diagnose(_ record: LogRecord, _ kind: LogDiagnostic.Kind, _ message: String) {
            model.diagnostics.append(LogDiagnostic(lineNumber: record.lineNumber, kind: kind, message: message))
        }

        // MARK: boot and pmm

        mutating func boot(_ record: LogRecord) {
            if record.event == "cmdline" { model.logLevel = record["log"] }
        }

        mutating func pmm(_ record: LogRecord, _ time: Double) {
            switch record.event {
            case "map-raw", "map":
                guard record["type"] == "usable", let base = record.unsigned("base"), let end = record.unsigned("end") else {
                    return
                }
                // The normalised map (debug) replaces the raw one (info) when both are present.
                if record.event == "map", !model.usableRanges.isEmpty, lastMapEvent == "map-raw" { model.usableRanges = [] }
                lastMapEvent = record.event
                model.usableRanges.append((base, end))
            case "reserved":
                guard let base = record.unsigned("base"), let end = record.unsigned("end") else {
                    return diagnose(record, .malformed, "pmm reserved without base= and end=")
                }
                model.reservations.append(Reservation(start: base, end: end, why: record["why"] ?? "?"))
            case "frames":
                model.totalFrames = record.integer("total").map(Int.init)
                model.freeFramesAtAllocatorStart = record.integer("free").map(Int.init)
            case "alloc", "free":
                frameEvent(record, time)
            default: break
            }
        }
        var lastMapEvent = ""

        mutating func frameEvent(_ record: LogRecord, _ time: Double) {
            guard let address = record.unsigned("frame") else {
                return diagnose(record, .truncated, "pmm \(record.event) without frame=")
            }
            let count = record.integer("frames").map(Int.init) ?? 1
            // Version-1 demo lines have no owner: they were the boot demo's.
            let owner = FrameOwnerKey(kind: record["owner"] ?? "demo", pid: record.integer("pid").map(Int.init))
            let first = address >> 12
            let isAllocation = record.event == "alloc"
            for frame in first ..< (first + UInt64(max(0, count))) {
                if isAllocation {
                    if let holder = ownership[frame] {
                        diagnose(
                            record, .inconsistent,
                            "frame 0x\(String(frame << 12, radix: 16)) allocated to \(owner) while \(holder) holds it")
                    } else {
                        allocated += 1
                    }
                    ownership[frame] = owner
                } else if ownership.removeValue(forKey: frame) != nil {
                    allocated -= 1
                } else {
                    diagnose(
                        record, .inconsistent,
                        "frame 0x\(String(frame << 12, radix: 16)) freed but no allocation of it was logged")
                }
            }
            model.frameEvents.append(
                FrameEvent(
                    time: time, lineNumber: record.lineNumber, firstFrame: first,
                    count: count, owner: owner, isAllocation: isAllocation))
            model.allocatedSeries.append((time, allocated))
            if !bootDone { model.bootEventCount = model.frameEvents.count }
            if allocated > model.peakAllocatedFrames {
                model.peakAllocatedFrames = allocated
                model.peakEventCount = model.frameEvents.count
                model.peakTime = time
            }
            if let pid = owner.process, processIndex[pid] == nil {
                // The address space is built before the `proc start` line names the process.
                pendingResident[pid, default: 0] += isAllocation ? count : -count
            }
            if let pid = owner.process, let index = processIndex[pid] {
                model.processes[index].residentFrames += isAllocation ? count : -count
                let resident = model.processes[index].residentFrames
                model.processes[index].peakResidentFrames = max(model.processes[index].peakResidentFrames, resident)
                model.processes[index].residentSeries.append((time, resident))
            }
        }

        // MARK: heap

        mutating func heap(_ record: LogRecord, _ time: Double) {
            switch record.event {
            case "ready": bootDone = true
            case "alloc":
                guard let pointer = record.unsigned("ptr"), let block = record.integer("block") else {
                    return diagnose(record, .truncated, "heap alloc without ptr= or block=")
                }
                model.heapAllocations += 1
                model.liveHeapBlocks[pointer] = HeapBlock(
                    pointer: pointer, size: Int(record.integer("size") ?? 0),
                    block: Int(block), order: record["order"] ?? "?", caller: record["by"] ?? "?", lineNumber: record.lineNumber)
                model.heapLiveBytes += Int(block)
                model.heapPeakLiveBytes = max(model.heapPeakLiveBytes, model.heapLiveBytes)
                model.heapLiveSeries.append((time, model.heapLiveBytes))
            case "free":
                guard let pointer = record.unsigned("ptr") else { return diagnose(record, .truncated, "heap free without ptr=") }
                model.heapFrees += 1
                guard let block = model.liveHeapBlocks.removeValue(forKey: pointer) else {
                    return diagnose(
                        record, .inconsistent, "heap free of 0x\(String(pointer, radix: 16)) with no logged allocation")
                }
                model.heapLiveBytes -= block.block
                model.heapLiveSeries.append((time, model.heapLiveBytes))
            case "bad-free":
                model.heapBadFrees.append(
                    InstantEvent(
                        time: time, lineNumber: record.lineNumber, pid: 0, name: "bad-free",
                        detail: "\(record["error"] ?? "?") ptr=\(record["ptr"] ?? "?") by=\(record["by"] ?? "?")"))
            case "freelists":
                let free = (record["free"] ?? "").split(separator: ",").compactMap { Int($0) }
                let cached = (record["cached"] ?? "").split(separator: ",").compactMap { Int($0) }
                guard !free.isEmpty else { return diagnose(record, .truncated, "heap freelists without free=") }
                model.freeLists.append(
                    FreeListSnapshot(
                        time: time, reason: record["why"] ?? "", free: free, cached: cached,
                        liveBytes: Int(record.integer("live_bytes") ?? 0)))
            default: break
            }
        }

        // MARK: processes

        mutating func proc(_ record: LogRecord, _ time: Double) {
            guard let pid = record.integer("pid").map(Int.init) else { return }
            switch record.event {
            case "start":
                processIndex[pid] = model.processes.count
                var process = ProcessRecord(pid: pid, name: record["prog"] ?? "?", startTime: time)
                process.residentFrames = pendingResident.removeValue(forKey: pid) ?? 0
                process.peakResidentFrames = process.residentFrames
                process.residentSeries = [(time, process.residentFrames)]
                model.processes.append(process)
            case "end":
                guard let index = processIndex[pid] else {
                    return diagnose(record, .inconsistent, "proc end for pid \(pid) that never started")
                }
                model.processes[index].endTime = time
                model.processes[index].status = record["status"] ?? "?"
                model.processes[index].detail = record["fault"] ?? record["code"].map { "code \($0)" } ?? ""
                model.processes[index].pagesPeakReported = record.integer("pages_peak").map(Int.init)
                if record["frames"] == "LEAKED" {
                    model.instants.append(
                        InstantEvent(
                            time: time, lineNumber: record.lineNumber, pid: pid, name: "frame-leak",
                            detail: "frames not all returned"))
                }
            case "killed":
                let fault = record["fault"] ?? "?"
                model.instants.append(
                    InstantEvent(
                        time: time, lineNumber: record.lineNumber, pid: pid, name: "killed: \(fault)",
                        detail: [
                            record["addr"].map { "addr=\($0)" }, record["cause"].map { "cause=\($0)" },
                            record["rip"].map { "rip=\($0)" },
                        ]
                        .compactMap { $0 }.joined(separator: " ")))
                if let index = processIndex[pid] {
                    model.processes[index].faults.append(
                        ProcessFault(time: time, lineNumber: record.lineNumber, name: fault, address: record["addr"]))
                }
            case "no-memory", "rejected":
                model.instants.append(
                    InstantEvent(
                        time: time, lineNumber: record.lineNumber, pid: pid, name: "\(record.event)",
                        detail: record["reason"] ?? "out of memory"))
            default: break
            }
        }

        mutating func syscall(_ record: LogRecord) {
            model.sawSyscallLines = true
            guard let pid = record.integer("pid").map(Int.init), let index = processIndex[pid] else { return }
            let failed = (record.integer("result") ?? 0) < 0 || record.event == "unknown"
            var entry = model.processes[index].syscalls[record.event] ?? (0, 0)
            entry.count += 1
            if failed { entry.errors += 1 }
            model.processes[index].syscalls[record.event] = entry
            if record.integer("result") == -12 {
                model.instants.append(
                    InstantEvent(
                        time: model.endTime, lineNumber: record.lineNumber, pid: pid, name: "ENOMEM",
                        detail: "\(record.event) refused: out of memory"))
            }
        }

        /// `<prog> heap live_bytes= held_bytes= ...` and `<prog> progress live_bytes=` lines.
        mutating func userOutput(_ record: LogRecord, _ time: Double) {
            guard let pid = record.integer("pid").map(Int.init), let index = processIndex[pid], let text = record.text else {
                return
            }
            let words = text.split(separator: " ")
            guard words.count >= 3, words[1] == "heap" || words[1] == "progress" else { return }
            var values: [String: Int] = [:]
            for word in words.dropFirst(2) {
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
            }
            guard let live = values["live_bytes"] else { return }
            model.processes[index].mallocReports.append(
                MallocReport(
                    time: time, liveBytes: live, heldBytes: values["held_bytes"],
                    peakLiveBytes: values["peak_live_bytes"], peakHeldBytes: values["peak_held_bytes"]))
        }

        mutating func cpu(_ record: LogRecord, _ time: Double) {
            if record.event == "exception" {
                model.instants.append(
                    InstantEvent(
                        time: time, lineNumber: record.lineNumber, pid: 0,
                        name: "kernel exception: \(record["name"] ?? "?")", detail: "rip=\(record["rip"] ?? "?")"))
            }
        }

        mutating func finish() {
            for (key, value) in unknown.sorted(by: { $0.value.first < $1.value.first }) {
                model.diagnostics.append(
                    LogDiagnostic(
                        lineNumber: value.first, kind: .unknownEvent,
                        message:
                            "`\(key)` is not an event this tool knows (\(value.count) line\(value.count == 1 ? "" : "s")): counted, not interpreted"
                    ))
            }
            model.diagnostics.sort { ($0.lineNumber ?? 0) < ($1.lineNumber ?? 0) }
        }
    }
}

extension RunModel {
    /// Frame -> owner after the first `eventCount` frame events.
    public func ownership(afterEvents eventCount: Int) -> [UInt64: FrameOwnerKey] {
        var map: [UInt64: FrameOwnerKey] = [:]
        for event in frameEvents.prefix(eventCount) {
            for frame in event.firstFrame ..< (event.firstFrame + UInt64(max(0, event.count))) {
                if event.isAllocation { map[frame] = event.owner } else { map.removeValue(forKey: frame) }
            }
        }
        return map
    }

    /// Frames held per owner after the first `eventCount` frame events.
    public func framesByOwner(afterEvents eventCount: Int) -> [FrameOwnerKey: Int] {
        var counts: [FrameOwnerKey: Int] = [:]
        for (_, owner) in ownership(afterEvents: eventCount) { counts[owner, default: 0] += 1 }
        return counts
    }

    /// Every owner that ever held a frame, in display order.
    public var owners: [FrameOwnerKey] { Array(Set(frameEvents.map(\.owner))).sorted() }
}

// The text report: what a person reads first, in the order they ask. Plain text, fixed columns.

public enum TextReport {
    public static func render(_ model: RunModel, source: String) -> String {
        var out: [String] = []
        header(model, source, &out)
        subsystems(model, &out)
        frames(model, &out)
        leaks(model, &out)
        heapFragmentation(model, &out)
        processes(model, &out)
        summary(model, &out)
        diagnostics(model, &out)
        return out.joined(separator: "\n") + "\n"
    }

    static func header(_ model: RunModel, _ source: String, _ out: inout [String]) {
        out.append("mmlog report: \(source)")
        out.append(
            "log format version \(model.formatVersion), \(model.lineCount) lines, \(model.recordCount) log records, level \(model.logLevel ?? "unknown")"
        )
        out.append(
            "run length \(Format.time(model.endTime, unit: model.timeUnit)); result \(model.summary?["result"] ?? "no summary line (cut off?)")"
        )
        out.append("")
    }

    static func subsystems(_ model: RunModel, _ out: inout [String]) {
        out.append("== Lines per subsystem")
        let levels = ["error", "warn", "info", "debug", "trace", "summary"]
        out.append(Format.pad("subsystem", 10) + levels.map { Format.padLeft($0, 8) }.joined() + Format.padLeft("total", 9))
        for (subsystem, counts) in model.subsystemTotals.sorted(by: { $0.key < $1.key }) {
            let total = counts.values.reduce(0, +)
            out.append(
                Format.pad(subsystem, 10) + levels.map { Format.padLeft(String(counts[$0] ?? 0), 8) }.joined()
                    + Format.padLeft(String(total), 9))
        }
        out.append("")
    }

    static func frames(_ model: RunModel, _ out: inout [String]) {
        out.append("== Frames by owner")
        guard model.hasFrameTrace else {
            out.append("no frame events in this log (they are written at LOG=trace)")
            out.append("")
            return
        }
        let total = model.totalFrames ?? 0
        out.append(
            "usable frames \(Format.frames(total)); peak allocated \(Format.frames(model.peakAllocatedFrames)) at \(Format.time(model.peakTime, unit: model.timeUnit)) (\(Format.percent(Double(model.peakAllocatedFrames), Double(total))))"
        )
        let boot = model.framesByOwner(afterEvents: model.bootEventCount)
        let peak = model.framesByOwner(afterEvents: model.peakEventCount)
        let exit = model.framesByOwner(afterEvents: model.frameEvents.count)
        out.append(
            Format.pad("owner", 24) + Format.padLeft("at boot", 10) + Format.padLeft("at peak", 10)
                + Format.padLeft("at exit", 10))
        for owner in model.owners {
            out.append(
                Format.pad(owner.description, 24) + Format.padLeft(String(boot[owner] ?? 0), 10)
                    + Format.padLeft(String(peak[owner] ?? 0), 10) + Format.padLeft(String(exit[owner] ?? 0), 10))
        }
        out.append(
            Format.pad("total", 24) + Format.padLeft(String(boot.values.reduce(0, +)), 10)
                + Format.padLeft(String(peak.values.reduce(0, +)), 10) + Format.padLeft(String(exit.values.reduce(0, +)), 10))
        out.append("")
    }

    static func leaks(_ model: RunModel, _ out: inout [String]) {
        out.append("== Leaks (allocated, never freed)")
        if model.hasFrameTrace {
            let bootOwners = model.framesByOwner(afterEvents: model.bootEventCount)
            let leaked = model.leakedFramesByOwner
            let since = leaked.filter { $0.value > (bootOwners[$0.key] ?? 0) }
            if leaked.isEmpty { out.append("frames: none") }
            for (owner, count) in leaked.sorted(by: { $0.key < $1.key }) {
                let note = since[owner] != nil ? "" : " (held since boot: the kernel's own, not a leak)"
                out.append("frames: \(owner): \(Format.frames(count))\(note)")
            }
        } else {
            out.append("frames: not checkable (no frame events; LOG=trace)")
        }
        if model.hasHeapTrace {
            let leaks = model.heapLeaks
            if leaks.isEmpty { out.append("kernel heap: none (\(model.heapAllocations) allocations, \(model.heapFrees) frees)") }
            for leak in leaks {
                out.append(
                    "kernel heap: \(leak.count) x \(Format.bytes(leak.block)) block by \(leak.caller) (first at line \(leak.firstLine))"
                )
            }
        } else {
            out.append("kernel heap: not checkable (no heap events; LOG=trace)")
        }
        out.append("")
    }

    static func heapFragmentation(_ model: RunModel, _ out: inout [String]) {
        out.append("== Kernel heap: free blocks per order over time")
        guard !model.freeLists.isEmpty else {
            out.append("no `heap freelists` lines (LOG=trace writes one every 64 heap operations)")
            out.append("")
            return
        }
        let snapshots = sample(model.freeLists, count: 8)
        let orders = snapshots.map(\.free.count).max() ?? 0
        out.append(
            Format.pad("time", 12) + Format.pad("why", 12) + (0 ..< orders).map { Format.padLeft("o\($0)", 5) }.joined()
                + Format.padLeft("live", 11) + "  largest free")
        for snapshot in snapshots {
            let largest = snapshot.free.lastIndex { $0 > 0 }.map { Format.bytes(16 << $0) } ?? "none"
            out.append(
                Format.pad(Format.time(snapshot.time, unit: model.timeUnit), 12) + Format.pad(snapshot.reason, 12)
                    + (0 ..< orders).map {
                        Format.padLeft(
                            String(
                                ($0 < snapshot.free.count ? snapshot.free[$0] : 0)
                                    + ($0 < snapshot.cached.count ? snapshot.cached[$0] : 0)), 5)
                    }.joined()
                    + Format.padLeft(Format.bytes(snapshot.liveBytes), 11) + "  " + largest)
        }
        out.append(
            "(order n = \(Format.bytes(16)) << n; counts include the per-order caches; \(model.freeLists.count) snapshots in all)"
        )
        out.append("")
    }

    static func sample<T>(_ items: [T], count: Int) -> [T] {
        guard items.count > count else { return items }
        return (0 ..< count).map { items[$0 * (items.count - 1) / (count - 1)] }
    }

    static func processes(_ model: RunModel, _ out: inout [String]) {
        out.append("== Processes")
        guard !model.processes.isEmpty else {
            out.append("none")
            out.append("")
            return
        }
        out.append(
            Format.pad("pid", 5) + Format.pad("program", 16) + Format.pad("end", 22) + Format.padLeft("peak resident", 24)
                + Format.padLeft("faults", 8) + Format.padLeft("syscalls", 10) + Format.padLeft("errors", 8)
                + "  malloc peak live/held")
        for process in model.processes {
            let resident =
                model.hasFrameTrace
                ? Format.frames(process.peakResidentFrames)
                : process.pagesPeakReported.map { "\($0) pages (user)" } ?? "-"
            let malloc =
                process.mallocReports.last.map { report in
                    "\(Format.bytes(report.peakLiveBytes ?? report.liveBytes)) / \(report.peakHeldBytes.map(Format.bytes) ?? "-")"
                } ?? "-"
            let syscalls = model.sawSyscallLines ? String(process.syscallCount) : "-"
            let errors = model.sawSyscallLines ? String(process.syscallErrors) : "-"
            out.append(
                Format.pad(String(process.pid), 5) + Format.pad(process.name, 16)
                    + Format.pad("\(process.status) \(process.detail)", 22)
                    + Format.padLeft(resident, 24) + Format.padLeft(String(process.faults.count), 8)
                    + Format.padLeft(syscalls, 10)
                    + Format.padLeft(errors, 8) + "  " + malloc)
        }
        out.append("peak resident = user pages + the process's page tables. Committed memory: not shown, the kernel has no")
        out.append("commit accounting yet (every mapped page is resident at once). Syscalls need LOG=debug.")
        out.append("")
    }

    static func summary(_ model: RunModel, _ out: inout [String]) {
        out.append("== Summary line checked against the events")
        guard let line = model.summaryLine else {
            out.append("no summary line: the run did not finish (or the log was cut off)")
            out.append("")
            return
        }
        let checks = model.summaryChecks
        let disagreements = checks.filter { $0.outcome == .disagrees }
        out.append(
            "summary at line \(line): \(disagreements.isEmpty ? "agrees with the events" : "DISAGREES with the events in \(disagreements.count) figure(s)")"
        )
        for check in checks {
            out.append(
                Format.pad(check.name, 20) + Format.padLeft(check.summaryValue, 12) + Format.padLeft(check.eventValue, 12)
                    + "  " + Format.pad(check.outcome.rawValue.uppercased(with: check.outcome == .disagrees), 10) + check.note)
        }
        out.append("")
    }

    static func diagnostics(_ model: RunModel, _ out: inout [String]) {
        out.append("== Log problems (\(model.diagnostics.count))")
        if model.diagnostics.isEmpty { out.append("none") }
        for diagnostic in model.diagnostics.prefix(50) { out.append(diagnostic.description) }
        if model.diagnostics.count > 50 { out.append("... and \(model.diagnostics.count - 50) more") }
    }
}

extension String {
    func uppercased(with condition: Bool) -> String { condition ? uppercased() : self }
}

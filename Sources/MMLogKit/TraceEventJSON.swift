// The run as a Chrome/Perfetto trace (Trace Event Format, JSON object form): counters (`ph:"C"`)
// for the curves, instants (`ph:"i"`) for kills, faults, ENOMEM and bad frees, a complete event
// (`ph:"X"`) for each process's life, and one track (pid) per process; pid 0 is the kernel.
// Timestamps are the log's t_us (microseconds); a version-1 log uses line numbers instead.
import Foundation

public enum TraceEventJSON {
    public static let kernelPid = 0
    /// Points per counter curve at most (minimum, maximum and last of each bucket are kept).
    static let counterPointLimit = 3000

    public static func render(_ model: RunModel) -> String {
        let events = TraceEventJSON.events(model)
        let root: [String: Any] = [
            "traceEvents": events,
            "displayTimeUnit": "ms",
            "otherData": [
                "source": "SwiftMM serial log", "log_format_version": model.formatVersion,
                "time_unit": model.timeUnit == "us" ? "microseconds since boot" : "log line numbers",
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func events(_ model: RunModel) -> [[String: Any]] {
        var events: [[String: Any]] = []
        events.append(metadata(pid: kernelPid, name: "kernel", sortIndex: 0))
        for process in model.processes {
            events.append(metadata(pid: process.pid, name: "pid \(process.pid) \(process.name)", sortIndex: process.pid))
        }
        frameCounters(model, &events)
        heapCounters(model, &events)
        for process in model.processes { processEvents(process, model, &events) }
        for instant in model.instants + model.heapBadFrees {
            events.append([
                "name": instant.name, "ph": "i", "s": "p", "ts": instant.time, "pid": instant.pid, "tid": 0,
                "args": ["detail": instant.detail, "line": instant.lineNumber],
            ])
        }
        return events
    }

    static func metadata(pid: Int, name: String, sortIndex: Int) -> [String: Any] {
        ["name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": ["name": name]]
    }

    static func counter(_ name: String, pid: Int, time: Double, _ args: [String: Any]) -> [String: Any] {
        ["name": name, "ph": "C", "ts": time, "pid": pid, "tid": 0, "args": args]
    }

    /// Kernel-wide frame counters: free and allocated frames, and frames by kind of owner.
    static func frameCounters(_ model: RunModel, _ events: inout [[String: Any]]) {
        guard model.hasFrameTrace, let start = model.freeFramesAtAllocatorStart else { return }
        var byKind: [String: Int] = [:]
        let kinds = Array(Set(model.frameEvents.map { kindLabel($0.owner) })).sorted()
        let kept = Set(
            Downsample.indices(count: model.frameEvents.count, limit: counterPointLimit) { model.allocatedSeries[$0].frames })
        for (index, event) in model.frameEvents.enumerated() {
            byKind[kindLabel(event.owner), default: 0] += event.isAllocation ? event.count : -event.count
            let isLastAtThisTime = index + 1 == model.frameEvents.count || model.frameEvents[index + 1].time != event.time
            guard isLastAtThisTime, kept.contains(index) || index + 1 == model.frameEvents.count else { continue }
            let allocated = model.allocatedSeries[index].frames
            events.append(
                counter("frames", pid: kernelPid, time: event.time, ["allocated": allocated, "free": start - allocated]))
            var args: [String: Any] = [:]
            for kind in kinds { args[kind] = byKind[kind] ?? 0 }
            events.append(counter("frames by owner", pid: kernelPid, time: event.time, args))
        }
    }

    static func kindLabel(_ owner: FrameOwnerKey) -> String {
        switch (owner.kind, owner.pid) {
        case ("page-table", 0?): "kernel page tables"
        case ("page-table", _): "process page tables"
        case ("user", _): "user pages"
        default: owner.description
        }
    }

    static func heapCounters(_ model: RunModel, _ events: inout [[String: Any]]) {
        let series = model.heapLiveSeries
        for index in Downsample.indices(count: series.count, limit: counterPointLimit, value: { series[$0].bytes }) {
            let point = series[index]
            events.append(counter("kernel heap live bytes", pid: kernelPid, time: point.time, ["live": point.bytes]))
        }
        for snapshot in model.freeLists {
            var args: [String: Any] = [:]
            for (order, count) in snapshot.free.enumerated() {
                let cached = order < snapshot.cached.count ? snapshot.cached[order] : 0
                args[String(format: "o%02d %@", order, Format.bytes(16 << order))] = count + cached
            }
            events.append(counter("kernel heap free blocks per order", pid: kernelPid, time: snapshot.time, args))
        }
    }

    static func processEvents(_ process: ProcessRecord, _ model: RunModel, _ events: inout [[String: Any]]) {
        let end = process.endTime ?? model.endTime
        events.append([
            "name": process.name, "ph": "X", "ts": process.startTime, "dur": max(0, end - process.startTime),
            "pid": process.pid, "tid": 0,
            "args": [
                "status": process.status, "detail": process.detail, "syscalls": process.syscallCount,
                "peak_resident_frames": process.peakResidentFrames,
            ],
        ])
        let series = process.residentSeries
        for index in Downsample.indices(count: series.count, limit: counterPointLimit, value: { series[$0].frames }) {
            let point = series[index]
            events.append(counter("resident frames", pid: process.pid, time: point.time, ["frames": point.frames]))
        }
        for report in process.mallocReports {
            var args: [String: Any] = ["live": report.liveBytes]
            if let held = report.heldBytes { args["held"] = held }
            events.append(counter("malloc bytes", pid: process.pid, time: report.time, args))
        }
    }
}

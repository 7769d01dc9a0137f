// Figures over time: frames by owner (stacked areas, process lifetimes underneath), the kernel
// heap's free blocks per order (a heat map under its live-bytes curve), and one small resident
// curve per process.
import Foundation

enum TimelineFigures {
    static let width = 1180.0, left = 70.0, right = 16.0
    static let buckets = 480

    /// Frames held per owner group, stacked, sampled into time buckets at each bucket's maximum.
    static func framesByOwner(_ model: RunModel) -> String {
        guard model.hasFrameTrace else {
            return "<p class=\"empty\">No frame events: run with LOG=trace to see frames over time.</p>"
        }
        let height = 250.0, top = 14.0, bottom = 196.0
        let end = max(model.endTime, 1)
        let x = Scale(domain: (0, end), range: (left, width - right))
        // For each bucket, the event index at which the most frames were allocated.
        var chosen = [Int?](repeating: nil, count: buckets)
        for (index, event) in model.frameEvents.enumerated() {
            let bucket = min(buckets - 1, Int(event.time / end * Double(buckets)))
            if let current = chosen[bucket], model.allocatedSeries[current].frames >= model.allocatedSeries[index].frames {
                continue
            }
            chosen[bucket] = index
        }
        let groups = orderedGroups(model)
        var running: [String: Int] = [:]
        var samples: [[String: Int]] = []
        var cursor = 0
        var last: [String: Int] = [:]
        for bucket in 0 ..< buckets {
            if let target = chosen[bucket] {
                // Bring the running counts to the chosen event, keep them, then to the bucket's end.
                while cursor <= target {
                    apply(model.frameEvents[cursor], &running)
                    cursor += 1
                }
                samples.append(running)
                let bucketEnd = (Double(bucket + 1) / Double(buckets)) * end
                while cursor < model.frameEvents.count && model.frameEvents[cursor].time < bucketEnd {
                    apply(model.frameEvents[cursor], &running)
                    cursor += 1
                }
                last = running
            } else {
                samples.append(last)
            }
        }
        let peakTotal = max(1, samples.map { $0.values.reduce(0, +) }.max() ?? 1)
        let yBytes = Scale(domain: (0, Double(peakTotal) * 4096 * 1.08), range: (bottom, top))
        let y = Scale(domain: (0, Double(peakTotal) * 1.08), range: (bottom, top))
        var out = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"100%\" class=\"chart\" id=\"frames-chart\">"
        out += SVGAxis.values(yBytes, x0: left, x1: width - right) { Format.bytes(Int($0)) }
        var base = [Int](repeating: 0, count: buckets)
        for group in groups {
            var top: [Int] = base
            for bucket in 0 ..< buckets { top[bucket] += samples[bucket][group] ?? 0 }
            guard top != base else { continue }
            var points: [String] = []
            for bucket in 0 ..< buckets {
                let x0 = x(Double(bucket) / Double(buckets) * end), x1 = x(Double(bucket + 1) / Double(buckets) * end)
                points.append("\(f(x0)),\(f(y(Double(top[bucket])))) \(f(x1)),\(f(y(Double(top[bucket]))))")
            }
            for bucket in stride(from: buckets - 1, through: 0, by: -1) {
                let x0 = x(Double(bucket) / Double(buckets) * end), x1 = x(Double(bucket + 1) / Double(buckets) * end)
                points.append("\(f(x1)),\(f(y(Double(base[bucket])))) \(f(x0)),\(f(y(Double(base[bucket]))))")
            }
            let peak = (0 ..< buckets).map { top[$0] - base[$0] }.max() ?? 0
            out += "<polygon class=\"area\" fill=\"\(Palette.color(group: group))\" points=\"\(points.joined(separator: " "))\">"
            out += "<title>\(HTML.escape(groupLabel(group, model))): at most \(Format.frames(peak))</title></polygon>"
            base = top
        }
        let peakX = x(model.peakTime)
        out += "<line class=\"peak\" x1=\"\(f(peakX))\" y1=\"\(f(top))\" x2=\"\(f(peakX))\" y2=\"\(f(bottom))\"/>"
        let labelOnLeft = peakX > width - 300
        out +=
            "<text class=\"peak-label\" x=\"\(f(labelOnLeft ? peakX - 4 : peakX + 4))\" y=\"\(f(top + 10))\" text-anchor=\"\(labelOnLeft ? "end" : "start")\">peak \(HTML.escape(Format.frames(model.peakAllocatedFrames))) at \(HTML.escape(Format.time(model.peakTime, unit: model.timeUnit)))</text>"
        out += lifetimes(model, x: x, y: bottom + 6)
        out += SVGAxis.time(x, y: bottom + 28, unit: model.timeUnit)
        return out + "</svg>"
    }

    static func apply(_ event: FrameEvent, _ running: inout [String: Int]) {
        running[Palette.group(event.owner), default: 0] += event.isAllocation ? event.count : -event.count
    }

    static func orderedGroups(_ model: RunModel) -> [String] {
        var seen: [String] = []
        for owner in model.owners where !seen.contains(Palette.group(owner)) { seen.append(Palette.group(owner)) }
        return seen
    }

    static func groupLabel(_ group: String, _ model: RunModel) -> String {
        MemoryMapFigure(model: model).label(group)
    }

    /// One band per process across the time axis, labelled when wide enough.
    static func lifetimes(_ model: RunModel, x: Scale, y: Double) -> String {
        var out = ""
        for process in model.processes {
            let x0 = x(process.startTime), x1 = x(process.endTime ?? model.endTime)
            let tip =
                "pid \(process.pid) \(process.name): \(process.status) \(process.detail), \(Format.time(process.startTime, unit: model.timeUnit)) - \(Format.time(process.endTime ?? model.endTime, unit: model.timeUnit))"
            out +=
                "<rect class=\"life\" x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(1, x1 - x0)))\" height=\"12\" fill=\"\(Palette.process(process.pid))\"><title>\(HTML.escape(tip))</title></rect>"
            if x1 - x0 > Double(process.name.count) * 6.5 + 8 {
                out += "<text class=\"life-label\" x=\"\(f(x0 + 4))\" y=\"\(f(y + 10))\">\(HTML.escape(process.name))</text>"
            }
        }
        return out
    }

    /// Free blocks per buddy order over time as a heat map, under a curve of live heap bytes.
    static func heapOrders(_ model: RunModel) -> String {
        guard !model.freeLists.isEmpty else { return "<p class=\"empty\">No heap free-list snapshots: run with LOG=trace.</p>" }
        let orders = model.freeLists.map(\.free.count).max() ?? 0
        let rowHeight = 11.0, curveTop = 10.0, curveBottom = 70.0, gridTop = 84.0
        let gridBottom = gridTop + Double(orders) * rowHeight
        let height = gridBottom + 34
        let end = max(model.endTime, 1)
        let x = Scale(domain: (0, end), range: (left, width - right))
        var out = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"100%\" class=\"chart\" id=\"heap-chart\">"
        let live = model.heapLiveSeries
        let peakLive = max(1, live.map(\.bytes).max() ?? 1)
        let y = Scale(domain: (0, Double(peakLive) * 1.1), range: (curveBottom, curveTop))
        out += SVGAxis.values(y, x0: left, x1: width - right) { Format.bytes(Int($0)) }
        let kept = Downsample.indices(count: live.count, limit: 1500) { live[$0].bytes }
        if !kept.isEmpty {
            var path = "M\(f(x(0))),\(f(y(0)))"
            for index in kept { path += " L\(f(x(live[index].time))),\(f(y(Double(live[index].bytes))))" }
            out +=
                "<path class=\"live\" d=\"\(path)\"><title>kernel heap live bytes (peak \(HTML.escape(Format.bytes(peakLive))))</title></path>"
        }
        let maximum =
            model.freeLists.flatMap {
                zip($0.free, $0.cached + [Int](repeating: 0, count: max(0, $0.free.count - $0.cached.count))).map { $0 + $1 }
            }.max() ?? 1
        let snapshots = model.freeLists
        for (index, snapshot) in snapshots.enumerated() {
            let x0 = x(snapshot.time)
            let x1 = index + 1 < snapshots.count ? x(snapshots[index + 1].time) : x(end)
            let cellWidth = max(1.5, x1 - x0)
            for order in 0 ..< snapshot.free.count {
                let count = snapshot.free[order] + (order < snapshot.cached.count ? snapshot.cached[order] : 0)
                guard count > 0 else { continue }
                let yTop = gridBottom - Double(order + 1) * rowHeight
                let tip =
                    "order \(order) (\(Format.bytes(16 << order)) blocks): \(count) free at \(Format.time(snapshot.time, unit: model.timeUnit))"
                out +=
                    "<rect x=\"\(f(x0))\" y=\"\(f(yTop))\" width=\"\(f(cellWidth))\" height=\"\(f(rowHeight - 1))\" fill=\"\(heat(count, maximum))\"><title>\(HTML.escape(tip))</title></rect>"
            }
        }
        for order in stride(from: 0, to: orders, by: 2) {
            let yText = gridBottom - Double(order) * rowHeight - 2
            out +=
                "<text class=\"axis-label\" x=\"\(f(left - 6))\" y=\"\(f(yText))\" text-anchor=\"end\">\(HTML.escape(Format.bytes(16 << order)))</text>"
        }
        out += SVGAxis.time(x, y: gridBottom + 4, unit: model.timeUnit)
        return out + "</svg>"
    }

    /// Light yellow to deep red on a logarithmic scale.
    static func heat(_ count: Int, _ maximum: Int) -> String {
        let t = log(Double(count) + 1) / log(Double(max(2, maximum)) + 1)
        let hue = 50 - 48 * t, lightness = 88 - 52 * t
        return "hsl(\(Int(hue)),90%,\(Int(lightness))%)"
    }

    /// A 220 x 36 curve of one process's resident frames over its own life.
    static func residentSparkline(_ process: ProcessRecord, _ model: RunModel) -> String {
        let series = process.residentSeries
        guard series.count > 1 else { return "" }
        let w = 220.0, h = 36.0
        let start = process.startTime, end = max(process.endTime ?? model.endTime, start + 1)
        let x = Scale(domain: (start, end), range: (1, w - 1))
        let y = Scale(domain: (0, Double(max(1, process.peakResidentFrames))), range: (h - 2, 2))
        var path = "M\(f(x(start))),\(f(y(0)))"
        var previous = 0
        for index in Downsample.indices(count: series.count, limit: 300, value: { series[$0].frames }) {
            let point = series[index]
            path += " L\(f(x(point.time))),\(f(y(Double(previous)))) L\(f(x(point.time))),\(f(y(Double(point.frames))))"
            previous = point.frames
        }
        path += " L\(f(x(end))),\(f(y(Double(previous))))"
        let color = Palette.process(process.pid)
        return
            "<svg class=\"spark\" viewBox=\"0 0 \(f(w)) \(f(h))\" width=\"\(f(w))\" height=\"\(f(h))\"><path d=\"\(path) L\(f(x(end))),\(f(y(0))) Z\" fill=\"\(color)\" fill-opacity=\"0.25\" stroke=\"\(color)\" stroke-width=\"1.2\"><title>\(HTML.escape("pid \(process.pid) resident: peak \(Format.frames(process.peakResidentFrames))"))</title></path></svg>"
    }
}

// The run on one self-contained page: no network, no external files; inline CSS, inline SVG
// and a small inline script (hover tooltips; it writes #render-status when it has run, which the
// browser test checks). Sections, top to bottom: the headline figures, the physical memory map at
// boot, peak and exit, frames by owner over time, the kernel heap's buddy orders over time,
// processes (resident curves, faults, syscalls), malloc live vs held, the summary check, and
// the log's problems with line numbers.

public enum HTMLReport {
    public static func render(_ model: RunModel, source: String) -> String {
        var body = ""
        body += header(model, source: source)
        body += kpis(model)
        body += card(
            "Physical memory",
            subtitle:
                "Each cell is \(mapCellSize(model)) of physical address space, coloured by who holds most of it. Hover a cell for its addresses and contents.",
            content: maps(model) + legend(model), id: "physical-memory")
        body += card(
            "Frames by owner over time",
            subtitle: "Stacked: every frame the kernel handed out, by owner. Bands underneath: when each program ran.",
            content: TimelineFigures.framesByOwner(model), id: "frames-over-time")
        body += card(
            "Kernel heap: free blocks per buddy order",
            subtitle:
                "Top: bytes live in the kernel heap. Below: free blocks of each size over time (darker = more); a long tail of small free blocks is fragmentation.",
            content: TimelineFigures.heapOrders(model), id: "kernel-heap")
        body += card(
            "Processes",
            subtitle:
                "Resident = user pages + the process's page tables. Committed memory is not shown: the kernel has no commit accounting yet (every mapped page is resident).",
            content: processTable(model), id: "processes")
        body += card(
            "malloc: live vs held",
            subtitle:
                "From each program's own heap reports: bytes its malloc handed out (live) vs bytes it holds from the kernel (held), at their peaks.",
            content: mallocBars(model), id: "malloc")
        body += card(
            "Summary line vs events", subtitle: "Each figure of the kernel's summary line recomputed from the log's events.",
            content: summaryTable(model), id: "summary-check")
        body += card(
            "Log problems", subtitle: "Lines the tool could not take at face value; it carried on after each.",
            content: diagnostics(model), id: "log-problems")
        body +=
            "<footer>Written by mmlog from \(HTML.escape(source)) &middot; log format version \(model.formatVersion) &middot; \(model.lineCount) lines</footer>"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>SwiftMM run: \(HTML.escape(source))</title>
            <style>\(style)</style></head>
            <body><main>\(body)</main><div id="tip" hidden></div>
            <script>\(script)</script></body></html>

            """
    }

    static func card(_ title: String, subtitle: String, content: String, id: String) -> String {
        "<section class=\"card\" id=\"\(id)\"><h2>\(HTML.escape(title))</h2><p class=\"sub\">\(HTML.escape(subtitle))</p>\(content)</section>"
    }

    static func header(_ model: RunModel, source: String) -> String {
        let result = model.summary?["result"] ?? "unfinished"
        let badge = result == "pass" ? "pass" : (result == "fail" ? "fail" : "unknown")
        return
            "<header><div><h1>SwiftMM memory report</h1><p class=\"sub\">\(HTML.escape(source)) &middot; LOG=\(HTML.escape(model.logLevel ?? "?"))</p></div><span class=\"badge \(badge)\" id=\"result\">\(HTML.escape(result.uppercased()))</span></header>"
    }

    static func kpis(_ model: RunModel) -> String {
        let total = model.totalFrames ?? 0
        let killed = model.processes.filter { $0.status == "killed" }.count
        let disagreements = model.summaryChecks.filter { $0.outcome == .disagrees }.count
        var items: [(String, String, String, String)] = [
            ("run-length", "Run length", Format.time(model.endTime, unit: model.timeUnit), "\(model.lineCount) log lines"),
            ("usable-memory", "Usable memory", Format.bytes(total * 4096), "\(total) frames of 4 KiB"),
        ]
        if model.hasFrameTrace {
            items.append(
                (
                    "peak-frames", "Peak in use", Format.bytes(model.peakAllocatedFrames * 4096),
                    "\(model.peakAllocatedFrames) frames, \(Format.percent(Double(model.peakAllocatedFrames), Double(total))) of RAM"
                ))
        }
        items.append(("processes", "Programs", "\(model.processes.count)", killed == 0 ? "none killed" : "\(killed) killed"))
        if model.hasHeapTrace {
            items.append(
                (
                    "kernel-heap", "Kernel heap peak", Format.bytes(model.heapPeakLiveBytes),
                    "\(model.heapAllocations) allocations, \(model.liveHeapBlocks.count) left live"
                ))
        }
        items.append(
            (
                "summary", "Summary vs events", disagreements == 0 ? "agrees" : "\(disagreements) disagree",
                "\(model.diagnostics.count) log problems"
            ))
        return "<div class=\"kpis\">"
            + items.map { id, label, value, note in
                "<div class=\"kpi\" id=\"kpi-\(id)\"><div class=\"label\">\(HTML.escape(label))</div><div class=\"value\">\(HTML.escape(value))</div><div class=\"note\">\(HTML.escape(note))</div></div>"
            }.joined() + "</div>"
    }

    static func mapCellSize(_ model: RunModel) -> String {
        Format.bytes(Int(MemoryMapFigure(model: model).framesPerCell) * 4096)
    }

    static func maps(_ model: RunModel) -> String {
        guard model.hasFrameTrace || !model.usableRanges.isEmpty else {
            return "<p class=\"empty\">No memory map in this log.</p>"
        }
        let figure = MemoryMapFigure(model: model)
        let bootTime = model.bootEventCount > 0 ? model.frameEvents[model.bootEventCount - 1].time : 0
        var out = figure.render(
            title: "At boot (\(Format.time(bootTime, unit: model.timeUnit)))",
            ownership: model.ownership(afterEvents: model.bootEventCount), id: "map-boot")
        if model.hasFrameTrace {
            out += figure.render(
                title:
                    "At peak (\(Format.time(model.peakTime, unit: model.timeUnit)), \(Format.frames(model.peakAllocatedFrames)) in use)",
                ownership: model.ownership(afterEvents: model.peakEventCount), id: "map-peak")
            out += figure.render(
                title: "At exit (\(Format.time(model.endTime, unit: model.timeUnit)))",
                ownership: model.ownership(afterEvents: model.frameEvents.count), id: "map-exit")
        } else {
            out += "<p class=\"empty\">Frame owners need LOG=trace: this map shows only reserved and free memory.</p>"
        }
        return out
    }

    static func legend(_ model: RunModel) -> String {
        let peak = model.framesByOwner(afterEvents: model.peakEventCount)
        var groups: [String: Int] = [:]
        for owner in model.owners { groups[Palette.group(owner), default: 0] += peak[owner] ?? 0 }
        let figure = MemoryMapFigure(model: model)
        var items = TimelineFigures.orderedGroups(model).map { group in
            (
                Palette.color(group: group), "\(figure.label(group))",
                groups[group].map { $0 > 0 ? " \(Format.bytes($0 * 4096)) at peak" : "" } ?? ""
            )
        }
        items += [(Palette.free, "free", ""), (Palette.reserved, "reserved (kernel image, boot structures, firmware)", "")]
        return "<ul class=\"legend\">"
            + items.map { color, label, note in
                "<li><span class=\"swatch\" style=\"background:\(color)\"></span>\(HTML.escape(label))<span class=\"muted\">\(HTML.escape(note))</span></li>"
            }.joined() + "</ul>"
    }

    static func processTable(_ model: RunModel) -> String {
        guard !model.processes.isEmpty else { return "<p class=\"empty\">No programs ran.</p>" }
        var out =
            "<table class=\"procs\"><thead><tr><th>pid</th><th>program</th><th>ended</th><th>ran for</th><th class=\"num\">peak resident</th><th>resident over its life</th><th class=\"num\">faults</th><th class=\"num\">syscalls</th><th class=\"num\">failed</th></tr></thead><tbody>"
        for process in model.processes {
            let duration = (process.endTime ?? model.endTime) - process.startTime
            let resident =
                model.hasFrameTrace
                ? Format.bytes(process.peakResidentFrames * 4096)
                : process.pagesPeakReported.map { Format.bytes($0 * 4096) + " (user)" } ?? "-"
            let status =
                process.status == "killed"
                ? "<span class=\"bad\">killed: \(HTML.escape(process.detail))</span>"
                : HTML.escape("\(process.status) \(process.detail)")
            let syscalls = process.syscalls.sorted { $0.value.count > $1.value.count }.map {
                "\($0.key) \($0.value.count) (\($0.value.errors) failed)"
            }.joined(separator: ", ")
            out +=
                "<tr class=\"proc\" data-pid=\"\(process.pid)\"><td>\(process.pid)</td><td><span class=\"swatch\" style=\"background:\(Palette.process(process.pid))\"></span>\(HTML.escape(process.name))</td><td>\(status)</td>"
            out +=
                "<td>\(HTML.escape(Format.time(duration, unit: model.timeUnit)))</td><td class=\"num\">\(HTML.escape(resident))</td><td>\(TimelineFigures.residentSparkline(process, model))</td>"
            out +=
                "<td class=\"num\">\(process.faults.count)</td><td class=\"num\" title=\"\(HTML.escape(syscalls))\">\(model.sawSyscallLines ? String(process.syscallCount) : "-")</td><td class=\"num\">\(model.sawSyscallLines ? String(process.syscallErrors) : "-")</td></tr>"
        }
        out += "</tbody></table>"
        let events = model.instants
        if !events.isEmpty {
            out +=
                "<h3>Faults, kills and refusals</h3><ul class=\"events\">"
                + events.prefix(40).map {
                    "<li>line \($0.lineNumber), \(HTML.escape(Format.time($0.time, unit: model.timeUnit))): pid \($0.pid) <b>\(HTML.escape($0.name))</b> \(HTML.escape($0.detail))</li>"
                }.joined() + "</ul>"
        }
        if !model.sawSyscallLines { out += "<p class=\"empty\">Syscall counts need LOG=debug or trace.</p>" }
        return out
    }

    static func mallocBars(_ model: RunModel) -> String {
        let rows = model.processes.compactMap { process -> (ProcessRecord, Int, Int)? in
            guard let last = process.mallocReports.last else { return nil }
            let live = process.mallocReports.compactMap { $0.peakLiveBytes ?? $0.liveBytes }.max() ?? last.liveBytes
            let held = process.mallocReports.compactMap { $0.peakHeldBytes ?? $0.heldBytes }.max() ?? 0
            return (process, live, held)
        }
        guard !rows.isEmpty else { return "<p class=\"empty\">No program printed a heap report.</p>" }
        let maximum = Double(max(1, rows.map { max($0.1, $0.2) }.max() ?? 1))
        let barWidth = 760.0, rowHeight = 30.0, left = 170.0
        let height = Double(rows.count) * rowHeight + 10
        var out = "<svg viewBox=\"0 0 1180 \(f(height))\" width=\"100%\" class=\"chart\" id=\"malloc-chart\">"
        for (index, row) in rows.enumerated() {
            let (process, live, held) = row
            let y = Double(index) * rowHeight + 4
            let color = Palette.process(process.pid)
            let heldWidth = Double(held) / maximum * barWidth, liveWidth = Double(live) / maximum * barWidth
            out +=
                "<text x=\"\(f(left - 10))\" y=\"\(f(y + 15))\" text-anchor=\"end\">pid \(process.pid) \(HTML.escape(process.name))</text>"
            out +=
                "<rect class=\"malloc-held\" x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(max(1, heldWidth)))\" height=\"20\" fill=\"\(color)\" fill-opacity=\"0.25\" stroke=\"\(color)\"><title>\(HTML.escape("held from the kernel at peak: \(Format.bytes(held))"))</title></rect>"
            out +=
                "<rect class=\"malloc-live\" x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(max(1, liveWidth)))\" height=\"12\" fill=\"\(color)\"><title>\(HTML.escape("live at peak: \(Format.bytes(live))"))</title></rect>"
            out +=
                "<text x=\"\(f(left + max(heldWidth, liveWidth) + 8))\" y=\"\(f(y + 15))\">\(HTML.escape("\(Format.bytes(live)) live / \(Format.bytes(held)) held (\(Format.percent(Double(live), Double(held))) used)"))</text>"
        }
        return out + "</svg>"
    }

    static func summaryTable(_ model: RunModel) -> String {
        guard model.summaryLine != nil else {
            return "<p class=\"bad\">No summary line: the run did not finish, or the log was cut off.</p>"
        }
        return
            "<table><thead><tr><th>figure</th><th class=\"num\">summary line</th><th class=\"num\">from events</th><th>outcome</th><th>how</th></tr></thead><tbody>"
            + model.summaryChecks.map { check in
                "<tr class=\"check \(check.outcome.rawValue)\"><td>\(HTML.escape(check.name))</td><td class=\"num\">\(HTML.escape(check.summaryValue))</td><td class=\"num\">\(HTML.escape(check.eventValue))</td><td class=\"outcome\">\(check.outcome.rawValue)</td><td class=\"muted\">\(HTML.escape(check.note))</td></tr>"
            }.joined() + "</tbody></table>"
    }

    static func diagnostics(_ model: RunModel) -> String {
        guard !model.diagnostics.isEmpty else { return "<p class=\"good\">None: every line was read.</p>" }
        return "<ul class=\"events\" id=\"problems\">"
            + model.diagnostics.prefix(100).map { "<li>\(HTML.escape($0.description))</li>" }.joined()
            + (model.diagnostics.count > 100 ? "<li>... and \(model.diagnostics.count - 100) more</li>" : "") + "</ul>"
    }

    static let style = """
        :root{--ink:#1d2433;--muted:#667085;--line:#e4e7ec;--bg:#f6f7f9}
        *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
        main{max-width:1280px;margin:0 auto;padding:24px}
        header{display:flex;justify-content:space-between;align-items:center;margin-bottom:16px}
        h1{font-size:24px;margin:0}h2{font-size:17px;margin:0 0 2px}h3{font-size:14px;margin:16px 0 6px}
        .sub{color:var(--muted);margin:0 0 12px}.muted{color:var(--muted);margin-left:6px}
        .badge{font-weight:700;letter-spacing:.08em;padding:6px 14px;border-radius:999px;font-size:15px}
        .badge.pass{background:#d1fadf;color:#05603a}.badge.fail{background:#fee4e2;color:#b42318}.badge.unknown{background:#fef0c7;color:#93370d}
        .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:16px}
        .kpi{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
        .kpi .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
        .kpi .value{font-size:22px;font-weight:650;margin:2px 0}.kpi .note{color:var(--muted);font-size:12px}
        .card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:16px}
        figure.map{margin:0 0 10px}figure.map figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
        svg text{font-size:11px;fill:var(--muted)}svg .addr{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
        .cell{stroke:none}.cell:hover,.area:hover,.life:hover{stroke:#111;stroke-width:1}
        .axis line{stroke:#98a2b3}.axis .grid{stroke:var(--line)}.peak{stroke:#b42318;stroke-dasharray:4 3}
        .peak-label{fill:#b42318;font-weight:600}.life-label{fill:#fff;font-size:10px;pointer-events:none}
        .live{fill:none;stroke:#e4572e;stroke-width:1.4}
        .legend{display:flex;flex-wrap:wrap;gap:6px 18px;list-style:none;padding:0;margin:8px 0 0}
        .swatch{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
        th{font-size:12px;color:var(--muted);font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
        .check.agrees .outcome{color:#05603a;font-weight:600}.check.disagrees{background:#fef3f2}.check.disagrees .outcome{color:#b42318;font-weight:700}
        .check.unchecked .outcome{color:var(--muted)}
        .bad{color:#b42318;font-weight:600}.good{color:#05603a}.empty{color:var(--muted);font-style:italic}
        .events{margin:0;padding-left:18px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
        footer{color:var(--muted);font-size:12px;text-align:center;padding:8px}
        #tip{position:fixed;pointer-events:none;background:#1d2433;color:#fff;padding:6px 9px;border-radius:6px;font-size:12px;white-space:pre;max-width:420px;z-index:10;box-shadow:0 4px 14px rgba(0,0,0,.2)}
        """

    /// Moves every SVG <title> into a data-tip (the page's own tooltip shows it next to the
    /// pointer), then writes #render-status with what it found: the browser test reads it.
    static let script = """
        (function(){
          var tip=document.getElementById('tip');var count=0;
          document.querySelectorAll('svg title').forEach(function(t){var p=t.parentNode;p.setAttribute('data-tip',t.textContent);p.removeChild(t);count++;});
          document.addEventListener('mousemove',function(e){var el=e.target.closest?e.target.closest('[data-tip]'):null;
            if(!el){tip.hidden=true;return;}tip.textContent=el.getAttribute('data-tip');tip.hidden=false;
            var x=e.clientX+14,y=e.clientY+14;if(x+tip.offsetWidth>innerWidth)x=e.clientX-tip.offsetWidth-10;if(y+tip.offsetHeight>innerHeight)y=e.clientY-tip.offsetHeight-10;
            tip.style.left=x+'px';tip.style.top=y+'px';});
          var status=document.createElement('p');status.id='render-status';status.className='sub';
          var maps=document.querySelectorAll('figure.map').length,cells=document.querySelectorAll('rect.cell').length,procs=document.querySelectorAll('tr.proc').length;
          status.setAttribute('data-maps',maps);status.setAttribute('data-cells',cells);status.setAttribute('data-processes',procs);status.setAttribute('data-tips',count);
          status.textContent='rendered ok: '+maps+' memory maps, '+cells+' cells, '+procs+' processes, '+count+' hover targets';
          document.querySelector('footer').appendChild(status);
        })();
        """
}

import Testing
import MMLogKit

@Suite struct ModelTests {
    @Test func traceRunAgreesWithItsSummaryOnEveryFigure() {
        let model = RunModelBuilder.build(text: Fixture.text("trace-hello-32M.log"))
        let checks = model.summaryChecks
        #expect(checks.count == 8)
        #expect(checks.allSatisfy { $0.outcome == .agrees }, "\(checks.filter { $0.outcome != .agrees })")
        #expect(model.diagnostics.isEmpty)
    }

    @Test func framesByOwnerAtBootPeakAndExit() {
        let model = RunModelBuilder.build(text: Fixture.text("trace-hello-32M.log"))
        let exit = model.framesByOwner(afterEvents: model.frameEvents.count)
        #expect(exit == [FrameOwnerKey(kind: "page-table", pid: 0): 4])  // the kernel's own tables
        let peak = model.framesByOwner(afterEvents: model.peakEventCount)
        #expect(peak.values.reduce(0, +) == model.peakAllocatedFrames)
        #expect(model.allocatedSeries.map(\.frames).max() == model.peakAllocatedFrames)
        #expect(model.heapLeaks.isEmpty)
    }

    @Test func processResidentAndSyscalls() throws {
        let model = RunModelBuilder.build(text: Fixture.text("debug-bad-pointer.log"))
        #expect(model.processes.map(\.name) == ["hello", "bad_pointer", "malloc_demo"])
        let killed = try #require(model.process(2))
        #expect(killed.status == "killed" && killed.detail == "page-fault")
        #expect(killed.faults.count == 1 && killed.faults[0].address == "0x000000100000")
        #expect(model.instants.contains { $0.pid == 2 && $0.name == "killed: page-fault" })
        let demo = try #require(model.process(3))
        #expect(demo.syscallCount > 100 && demo.syscalls["map"] != nil)
        #expect(demo.mallocReports.count == 3 && demo.mallocReports[0].heldBytes != nil)
        // LOG=debug has no frame events: frame figures are unchecked, the others agree.
        let checks = model.summaryChecks
        #expect(checks.filter { $0.outcome == .disagrees }.isEmpty)
        #expect(checks.first { $0.name == "processes_killed" }?.outcome == .agrees)
        #expect(checks.first { $0.name == "frames_free_exit" }?.outcome == .unchecked)
    }

    @Test func traceResidentIsUserPagesPlusPageTables() throws {
        let text = Fixture.text("trace-hello-32M.log")
        let model = RunModelBuilder.build(text: text)
        let hello = try #require(model.process(1))
        let end = try #require(LogParser.parse(text).records.first { $0.subsystem == "proc" && $0.event == "end" })
        let pages = Int(end.integer("pages_peak") ?? 0), tables = Int(end.integer("table_frames_freed") ?? 0)
        #expect(hello.peakResidentFrames >= pages && hello.peakResidentFrames <= pages + tables)
        #expect(hello.residentFrames == 0)  // all returned at exit
    }

    @Test func aSummaryThatDisagreesWithTheEventsIsReported() {
        let text = Fixture.text("trace-hello-32M.log").replacingOccurrences(of: "frames_free_exit=", with: "frames_free_exit=1")
        let checks = RunModelBuilder.build(text: text).summaryChecks
        #expect(checks.filter { $0.outcome == .disagrees }.map(\.name) == ["frames_free_exit"])
        #expect(TextReport.render(RunModelBuilder.build(text: text), source: "x").contains("DISAGREES"))
    }

    @Test func aMissingAllocationLineIsReportedAtTheFreeThatRevealsIt() throws {
        var lines = Fixture.lines("trace-hello-32M.log")
        let allocIndex = try #require(lines.firstIndex { $0.contains("owner=user") && $0.hasPrefix("trace pmm    alloc") })
        let frame = try #require(lines[allocIndex].split(separator: " ").first { $0.hasPrefix("frame=") })
        lines[allocIndex] = "garbage"
        let freeIndex = try #require(
            lines.indices.first {
                $0 > allocIndex && lines[$0].hasPrefix("trace pmm    free") && lines[$0].contains(String(frame) + " ")
            })
        let model = RunModelBuilder.build(text: lines.joined(separator: "\n"))
        #expect(model.diagnostics.contains { $0.lineNumber == allocIndex + 1 && $0.kind == .foreignLine })
        #expect(model.diagnostics.contains { $0.lineNumber == freeIndex + 1 && $0.kind == .inconsistent })
        // The unmatched free changes no count, so the frame totals still agree with the summary.
        #expect(model.summaryChecks.contains { $0.name == "frames_free_exit" && $0.outcome == .agrees })
        #expect(model.summaryChecks.contains { $0.name == "frames_free_boot" })
    }

    @Test func unknownEventsAreCountedOnceWithTheirFirstLine() {
        let text =
            "info  boot   log-format   t_us=1 version=2\ntrace pmm    teleport     t_us=2 frame=0x1000\ntrace pmm    teleport     t_us=3 frame=0x2000\ninfo  zzz    thing        t_us=4\n"
        let model = RunModelBuilder.build(text: text)
        let unknown = model.diagnostics.filter { $0.kind == .unknownEvent }
        #expect(unknown.map(\.lineNumber) == [2, 4])
        #expect(unknown[0].message.contains("2 lines"))
    }

    @Test func versionOneLogStillGivesProcessesAndSummaryChecks() {
        let model = RunModelBuilder.build(text: Fixture.text("v1-info.log"))
        #expect(model.timeUnit == "line")
        #expect(model.processes.count == 6)
        #expect(model.summaryChecks.first { $0.name == "processes" }?.outcome == .agrees)
        #expect(TextReport.render(model, source: "v1").contains("older-format"))
    }

    @Test func cowCopiesAgreeWithTheObjectFaultLinesAtDebugOnly() {
        let lines = [
            "info  boot   log-format   t_us=1 version=2",
            "info  boot   cmdline      t_us=2 log=debug",
            "debug obj    fault        t_us=3 pid=2 object=0x10001 page=0 kind=commit refs=1",
            "debug obj    fault        t_us=4 pid=2 object=0x10002 page=3 kind=cow-copy refs=1",
            "debug obj    fault        t_us=5 pid=3 object=0x10001 page=3 kind=cow-reuse refs=1",
            "debug obj    fault        t_us=6 pid=2 object=0x10002 page=4 kind=cow-copy refs=1",
            "debug obj    fault        t_us=7 pid=2 kind=cow-copy count=2 via=kernel-access",
            "summary result=pass processes=0 shared_frames_peak=4 cow_copies=4 t_us=8",
        ]
        let model = RunModelBuilder.build(text: lines.joined(separator: "\n"))
        #expect(model.diagnostics.filter { $0.kind == .unknownEvent }.isEmpty)
        #expect(model.summaryChecks.first { $0.name == "cow_copies" }?.outcome == .agrees)
        let wrong = lines.map { $0.replacingOccurrences(of: "cow_copies=4", with: "cow_copies=3") }
        #expect(
            RunModelBuilder.build(text: wrong.joined(separator: "\n")).summaryChecks.first { $0.name == "cow_copies" }?.outcome
                == .disagrees)
        let info = lines.map { $0.replacingOccurrences(of: "log=debug", with: "log=info") }
        #expect(
            RunModelBuilder.build(text: info.joined(separator: "\n")).summaryChecks.first { $0.name == "cow_copies" }?.outcome
                == .unchecked)
    }
}

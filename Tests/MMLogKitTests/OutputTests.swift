import Foundation
import Testing
@testable import MMLogKit

@Suite struct TraceJSONTests {
    func events(_ fixture: String) throws -> (events: [[String: Any]], model: RunModel) {
        let model = RunModelBuilder.build(text: Fixture.text(fixture))
        let json = TraceEventJSON.render(model)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return (try #require(root["traceEvents"] as? [[String: Any]]), model)
    }

    @Test func countersEndAtTheSummaryFigures() throws {
        let (events, model) = try events("trace-hello-32M.log")
        let summary = try #require(model.summary)
        let frames = events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "frames" }
        let last = try #require(frames.max { ($0["ts"] as! Double) < ($1["ts"] as! Double) }?["args"] as? [String: Int])
        #expect(last["free"] == Int(summary["frames_free_exit"]!))
        let peak = frames.compactMap { ($0["args"] as? [String: Int])?["allocated"] }.max()
        #expect(peak == model.peakAllocatedFrames)  // downsampling keeps the peak
        let heap = events.filter { $0["name"] as? String == "kernel heap live bytes" }.compactMap {
            ($0["args"] as? [String: Int])?["live"]
        }
        #expect(heap.max() == Int(summary["heap_peak_bytes"]!))
        #expect(heap.last == Int(summary["heap_live_bytes"]!))
    }

    @Test func oneTrackPerProcessWithInstantsForKills() throws {
        let (events, model) = try events("debug-bad-pointer.log")
        let names = events.filter { $0["ph"] as? String == "M" }.compactMap { ($0["args"] as? [String: String])?["name"] }
        #expect(names == ["kernel", "pid 1 hello", "pid 2 bad_pointer", "pid 3 malloc_demo"])
        #expect(events.filter { $0["ph"] as? String == "X" }.count == Int(model.summary!["processes"]!))
        let kills = events.filter { $0["ph"] as? String == "i" && ($0["name"] as? String)?.hasPrefix("killed") == true }
        #expect(kills.count == Int(model.summary!["processes_killed"]!))
        #expect(kills.first?["pid"] as? Int == 2)
        #expect(events.contains { $0["name"] as? String == "malloc bytes" && $0["pid"] as? Int == 3 })
    }
}

@Suite struct HTMLTests {
    @Test func pageIsSelfContainedAndHasEveryFigure() {
        let html = HTMLReport.render(RunModelBuilder.build(text: Fixture.text("trace-hello-32M.log")), source: "t")
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        for id in ["map-boot", "map-peak", "map-exit", "frames-chart", "heap-chart", "processes", "summary-check"] {
            #expect(html.contains("id=\"\(id)\""), "missing \(id)")
        }
        #expect(html.components(separatedBy: "<rect class=\"cell\"").count - 1 == 3 * 1024 || html.contains("class=\"cell\""))
    }

    @Test func aPartialLogStillMakesAPage() {
        let text = String(Fixture.text("trace-hello-32M.log").prefix(200_000))
        let html = HTMLReport.render(RunModelBuilder.build(text: text), source: "cut")
        #expect(html.contains("No summary line"))
        #expect(html.contains("truncated"))
    }
}

@Suite struct DownsampleTests {
    @Test func everyBucketKeepsItsMinimumMaximumAndLastPoint() {
        let values = (0 ..< 10_000).map { ($0 * 7919) % 1000 + ($0 == 4321 ? 5000 : 0) }
        let kept = Downsample.indices(count: values.count, limit: 300) { values[$0] }
        #expect(kept.count <= 300)
        #expect(kept.contains(4321))  // the spike
        #expect(kept.last == values.count - 1)  // the final value
        #expect(kept == kept.sorted())  // time order
        #expect(Set(kept.map { values[$0] }).contains(0))  // a minimum
        #expect(Downsample.indices(count: 50, limit: 300) { values[$0] } == Array(0 ..< 50))
    }
}

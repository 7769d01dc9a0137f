// mmlog: reads a SwiftMM serial log and writes a text report, an HTML page and a Perfetto trace.
//   swift run mmlog LOGFILE [--out DIR]      (default DIR: the log's folder)
import Foundation
import MMLogKit

var arguments = Array(CommandLine.arguments.dropFirst())
var outputFolder: String? = nil
if let index = arguments.firstIndex(of: "--out"), index + 1 < arguments.count {
    outputFolder = arguments[index + 1]
    arguments.removeSubrange(index ... (index + 1))
}
guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
    FileHandle.standardError.write(Data("usage: mmlog LOGFILE [--out DIR]\n".utf8))
    exit(2)
}
let path = arguments[0]
guard let data = FileManager.default.contents(atPath: path) else {
    FileHandle.standardError.write(Data("mmlog: cannot read \(path)\n".utf8))
    exit(1)
}
let text = String(decoding: data, as: UTF8.self)
let model = RunModelBuilder.build(text: text)
let folder = outputFolder ?? (path as NSString).deletingLastPathComponent
let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
let outputs: [(String, String)] = [
    ("\(base).report.txt", TextReport.render(model, source: path)),
    ("\(base).html", HTMLReport.render(model, source: path)),
    ("\(base).trace.json", TraceEventJSON.render(model)),
]
for (name, contents) in outputs {
    let target = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(name)
    try Data(contents.utf8).write(to: URL(fileURLWithPath: target))
    print("wrote \(target) (\(Format.bytesDescription(contents.utf8.count)))")
}
if !model.diagnostics.isEmpty {
    print("\(model.diagnostics.count) log problem(s), first: \(model.diagnostics[0])")
}
let disagreements = model.summaryChecks.filter { $0.outcome == .disagrees }
for check in disagreements {
    print("summary disagrees: \(check.name) printed \(check.summaryValue), events say \(check.eventValue)")
}

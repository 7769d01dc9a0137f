// The physical memory map as a grid of cells, each a fixed run of frames in address order,
// coloured by who holds most of its frames (free, reserved and holes have their own colours).
// Hovering a cell lists its address range and what is in it.

struct MemoryMapFigure {
    static let columns = 128, rows = 8, cellPixels = 10, gap = 2, labelWidth = 104

    let model: RunModel
    let spanFrames: UInt64
    let framesPerCell: UInt64
    /// Usable frame ranges and reserved frame ranges, as frame numbers [start, end).
    let usable: [(UInt64, UInt64)]
    let reserved: [(UInt64, UInt64, String)]

    init(model: RunModel) {
        self.model = model
        let usableFrames = model.usableRanges.map { (($0.start + 4095) >> 12, $0.end >> 12) }.filter { $0.0 < $0.1 }
        let owned = model.frameEvents.map { $0.firstFrame + UInt64($0.count) }.max() ?? 0
        spanFrames = max(1, max(usableFrames.map(\.1).max() ?? 0, owned))
        let cells = UInt64(Self.columns * Self.rows)
        framesPerCell = max(1, (spanFrames + cells - 1) / cells)
        usable = usableFrames
        reserved = model.reservations.map { ($0.start >> 12, ($0.end + 4095) >> 12, $0.why) }
    }

    var cellCount: Int { Int((spanFrames + framesPerCell - 1) / framesPerCell) }

    func render(title: String, ownership: [UInt64: FrameOwnerKey], id: String) -> String {
        var owners = [[String: Int]](repeating: [:], count: cellCount)
        for (frame, owner) in ownership where frame < spanFrames {
            owners[Int(frame / framesPerCell)][Palette.group(owner), default: 0] += 1
        }
        let rowsUsed = (cellCount + Self.columns - 1) / Self.columns
        let width = Self.labelWidth + Self.columns * (Self.cellPixels + Self.gap)
        let height = rowsUsed * (Self.cellPixels + Self.gap) + 4
        var out = "<figure class=\"map\" id=\"\(id)\"><figcaption>\(HTML.escape(title))</figcaption>"
        out += "<svg viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\">"
        for row in 0 ..< rowsUsed {
            let firstFrame = UInt64(row * Self.columns) * framesPerCell
            out +=
                "<text class=\"addr\" x=\"\(Self.labelWidth - 8)\" y=\"\(row * (Self.cellPixels + Self.gap) + Self.cellPixels)\" text-anchor=\"end\">\(Format.hex(firstFrame << 12))</text>"
        }
        for cell in 0 ..< cellCount {
            let x = Self.labelWidth + (cell % Self.columns) * (Self.cellPixels + Self.gap)
            let y = (cell / Self.columns) * (Self.cellPixels + Self.gap)
            let (color, opacity, tip) = describe(cell: cell, owners: owners[cell])
            out +=
                "<rect class=\"cell\" x=\"\(x)\" y=\"\(y)\" width=\"\(Self.cellPixels)\" height=\"\(Self.cellPixels)\" fill=\"\(color)\""
            if opacity < 1 { out += " fill-opacity=\"\(f(opacity))\"" }
            out += "><title>\(HTML.escape(tip))</title></rect>"
        }
        return out + "</svg></figure>"
    }

    func describe(cell: Int, owners: [String: Int]) -> (String, Double, String) {
        let first = UInt64(cell) * framesPerCell, end = min(spanFrames, first + framesPerCell)
        let frames = end - first
        let usableCount = overlap(first, end, usable.map { ($0.0, $0.1) })
        let reservedHere = reserved.filter { $0.0 < end && $0.1 > first }
        let reservedCount = overlap(first, end, reservedHere.map { ($0.0, $0.1) })
        let ownedCount = owners.values.reduce(0, +)
        var lines = [
            "\(Format.hex(first << 12)) - \(Format.hex(end << 12)) (\(Format.bytes(Int(frames) * 4096)), \(frames) frames)"
        ]
        for (group, count) in owners.sorted(by: { $0.value > $1.value }) {
            lines.append("\(label(group)): \(count) frame\(count == 1 ? "" : "s")")
        }
        let freeCount = max(0, Int(usableCount) - Int(min(usableCount, reservedCount)) - ownedCount)
        if freeCount > 0 { lines.append("free: \(freeCount) frame\(freeCount == 1 ? "" : "s")") }
        if !reservedHere.isEmpty {
            lines.append("reserved: " + Array(Set(reservedHere.map(\.2))).sorted().joined(separator: ", "))
        }
        if usableCount == 0 && reservedHere.isEmpty { lines.append("not RAM (a hole in the memory map)") }
        let tip = lines.joined(separator: "\n")
        if let (group, _) = owners.max(by: { $0.value < $1.value }) {
            return (Palette.color(group: group), 0.45 + 0.55 * Double(ownedCount) / Double(max(1, Int(usableCount))), tip)
        }
        if usableCount == 0 { return (reservedCount > 0 ? Palette.reserved : Palette.hole, reservedCount > 0 ? 1 : 0.0, tip) }
        if reservedCount * 2 >= usableCount { return (Palette.reserved, 1, tip) }
        return (Palette.free, 1, tip)
    }

    func label(_ group: String) -> String {
        switch group {
        case "heap": "kernel heap"
        case "heap-large": "kernel heap (large)"
        case "page-table:0": "kernel page tables"
        case "demo": "boot demo"
        default:
            if group.hasPrefix("pid:"), let pid = Int(group.dropFirst(4)) {
                "pid \(pid) \(model.process(pid)?.name ?? "") (pages + page tables)"
            } else {
                group
            }
        }
    }

    /// Frames of [start, end) covered by the ranges (which may overlap one another).
    func overlap(_ start: UInt64, _ end: UInt64, _ ranges: [(UInt64, UInt64)]) -> UInt64 {
        let clipped = ranges.map { (max($0.0, start), min($0.1, end)) }.filter { $0.0 < $0.1 }.sorted { $0.0 < $1.0 }
        var total: UInt64 = 0, cursor = start
        for (low, high) in clipped where high > cursor {
            total += high - max(low, cursor)
            cursor = high
        }
        return total
    }
}

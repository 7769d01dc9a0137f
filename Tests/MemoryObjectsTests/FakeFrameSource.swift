// The host's frame source for the objects tests: a pool of numbered frames, each with a content
// tag standing for its 4 KiB (so a CoW copy is visible), a commit ledger with a limit, and a record
// of every frame allocated and every page charged, so a test can prove that each one came back.
// Misuse (freeing a free frame, copying from or to a free frame, releasing more than charged) is
// recorded, never ignored: every test asserts `misuse` is empty.
import MemoryCore
import MemoryObjects

struct FakeFrameSource: ObjectFrameSource {
    /// Frames that can be allocated at once (nil: allocation fails beyond it).
    var frameLimit: Int
    /// Pages the ledger accepts.
    var commitLimit: UInt64
    /// Allocated frames -> their content tag (0 = zeros).
    private(set) var contents: [FrameNumber: UInt64] = [:]
    private(set) var charged: UInt64 = 0
    private(set) var misuse: [String] = []
    private(set) var allocations = 0
    private(set) var copies = 0
    private var freeList: [FrameNumber] = []
    private var nextFrame: UInt64 = 100

    init(frameLimit: Int = 1 << 20, commitLimit: UInt64 = 1 << 30) {
        self.frameLimit = frameLimit
        self.commitLimit = commitLimit
    }

    var allocatedFrames: Int { contents.count }
    func isAllocated(_ frame: FrameNumber) -> Bool { contents[frame] != nil }
    func tag(of frame: FrameNumber) -> UInt64? { contents[frame] }

    /// A write to the frame: its content becomes `tag`.
    mutating func write(_ frame: FrameNumber, tag: UInt64) {
        guard contents[frame] != nil else {
            misuse.append("write to free frame \(frame.raw)")
            return
        }
        contents[frame] = tag
    }

    mutating func allocateZeroedFrame() -> FrameNumber? {
        guard contents.count < frameLimit else { return nil }
        let frame: FrameNumber
        if let reused = freeList.popLast() {
            frame = reused
        } else {
            frame = FrameNumber(nextFrame)
            nextFrame += 1
        }
        contents[frame] = 0
        allocations += 1
        return frame
    }

    mutating func copyFrame(from: FrameNumber, to: FrameNumber) {
        guard let tag = contents[from], contents[to] != nil else {
            misuse.append("copy \(from.raw) -> \(to.raw) with a free frame")
            return
        }
        contents[to] = tag
        copies += 1
    }

    mutating func freeFrame(_ frame: FrameNumber) {
        guard contents.removeValue(forKey: frame) != nil else {
            misuse.append("double free of frame \(frame.raw)")
            return
        }
        freeList.append(frame)
    }

    mutating func chargeCommit(_ pages: UInt64) -> Bool {
        guard charged + pages <= commitLimit else { return false }
        charged += pages
        return true
    }

    mutating func releaseCommit(_ pages: UInt64) {
        guard pages <= charged else {
            misuse.append("release of \(pages) pages with \(charged) charged")
            return
        }
        charged -= pages
    }

    /// Frames handed out directly (page transfer tests: frames of "anonymous memory").
    mutating func takeFrame(tag: UInt64) -> FrameNumber? {
        guard let frame = allocateZeroedFrame() else { return nil }
        contents[frame] = tag
        return frame
    }
}

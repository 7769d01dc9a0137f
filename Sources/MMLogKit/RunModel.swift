// What one run did to memory, rebuilt from its log: frames by owner over time, the kernel heap's
// live blocks and free lists, processes with their syscalls and faults, and the summary line.
// Built in one pass over the records; snapshots of the frame map at any moment are replayed
// from the frame events, so the model stays small for long traces.

public struct FrameEvent: Sendable {
    public var time: Double
    public var lineNumber: Int
    public var firstFrame: UInt64
    public var count: Int
    public var owner: FrameOwnerKey
    public var isAllocation: Bool
}

public struct Reservation: Sendable {
    public var start: UInt64, end: UInt64
    public var why: String
}

public struct HeapBlock: Sendable {
    public var pointer: UInt64
    public var size: Int
    public var block: Int
    public var order: String
    public var caller: String
    public var lineNumber: Int
}

public struct FreeListSnapshot: Sendable {
    public var time: Double
    public var reason: String
    public var free: [Int]
    public var cached: [Int]
    public var liveBytes: Int
}

public struct ProcessRecord: Sendable {
    public var pid: Int
    public var name: String
    public var startTime: Double
    public var endTime: Double?
    public var status: String = "running-at-end-of-log"
    public var detail: String = ""
    public var pagesPeakReported: Int?
    public var peakResidentFrames = 0
    public var residentFrames = 0
    public var syscalls: [String: (count: Int, errors: Int)] = [:]
    public var faults: [ProcessFault] = []
    public var mallocReports: [MallocReport] = []
    /// (time, user + page-table frames) after each change.
    public var residentSeries: [(time: Double, frames: Int)] = []

    public var syscallCount: Int { syscalls.values.reduce(0) { $0 + $1.count } }
    public var syscallErrors: Int { syscalls.values.reduce(0) { $0 + $1.errors } }
}

public struct ProcessFault: Sendable {
    public var time: Double
    public var lineNumber: Int
    public var name: String
    public var address: String?
}

public struct MallocReport: Sendable {
    public var time: Double
    public var liveBytes: Int
    public var heldBytes: Int?
    public var peakLiveBytes: Int?
    public var peakHeldBytes: Int?
}

public struct InstantEvent: Sendable {
    public var time: Double
    public var lineNumber: Int
    public var pid: Int
    public var name: String
    public var detail: String
}

public struct RunModel: Sendable {
    public var formatVersion = 1
    public var lineCount = 0
    public var recordCount = 0
    public var diagnostics: [LogDiagnostic] = []
    /// "us" when lines carry t_us=, "line" when line numbers stand in for time (format 1).
    public var timeUnit = "us"
    public var endTime: Double = 0

    /// Lines per subsystem and level.
    public var subsystemTotals: [String: [String: Int]] = [:]
    public var logLevel: String?

    // Physical memory
    public var usableRanges: [(start: UInt64, end: UInt64)] = []
    public var reservations: [Reservation] = []
    public var totalFrames: Int?
    public var freeFramesAtAllocatorStart: Int?
    public var frameEvents: [FrameEvent] = []
    /// Frame events that happened before the boot sequence ended (the heap was ready).
    public var bootEventCount = 0
    /// Frame events up to and including the one after which the most frames were allocated.
    public var peakEventCount = 0
    public var peakAllocatedFrames = 0
    public var peakTime: Double = 0
    /// (time, allocated frames) after every frame event.
    public var allocatedSeries: [(time: Double, frames: Int)] = []
    public var hasFrameTrace: Bool { !frameEvents.isEmpty }

    // Kernel heap
    public var liveHeapBlocks: [UInt64: HeapBlock] = [:]
    public var heapAllocations = 0, heapFrees = 0
    public var heapLiveBytes = 0, heapPeakLiveBytes = 0
    public var heapLiveSeries: [(time: Double, bytes: Int)] = []
    public var heapBadFrees: [InstantEvent] = []
    public var freeLists: [FreeListSnapshot] = []
    public var hasHeapTrace: Bool { heapAllocations > 0 }

    // Memory objects (LOG=debug: one `obj fault` line per fault on an object page)
    public var cowCopyFaults = 0
    /// Whether the log shows every object fault (its level is debug or trace).
    public var hasObjectTrace: Bool { logLevel == "debug" || logLevel == "trace" }

    // Processes
    public var processes: [ProcessRecord] = []
    public var instants: [InstantEvent] = []
    public var sawSyscallLines = false

    // Summary
    public var summary: [String: String]?
    public var summaryLine: Int?

    public func process(_ pid: Int) -> ProcessRecord? { processes.first { $0.pid == pid } }

    public init() {}
}

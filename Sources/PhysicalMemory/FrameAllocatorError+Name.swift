// Names of the frame allocator's errors as they appear in the serial log (`error=already-free`).

extension FrameAllocatorError {
    public var name: StaticString {
        switch self {
        case .outOfMemory: "out-of-memory"
        case .alreadyFree: "already-free"
        case .notManaged: "not-managed"
        case .reserved: "reserved"
        case .runMismatch: "run-mismatch"
        case .invalidCount: "invalid-count"
        case .invalidAlignment: "invalid-alignment"
        }
    }
}

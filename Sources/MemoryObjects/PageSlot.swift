// One page of an object: uncommitted (reads as zero) or holding one frame. Stored as a single
// UInt64, frame number + 1 (0 = uncommitted), so a 256 MiB object's slots take 512 KiB rather than
// the 1 MiB an Optional<FrameNumber> array would. Frame numbers on x86-64 are below 2^40 (52-bit
// physical addresses), so + 1 never wraps; `init?(frame:)` refuses anything that would.

import MemoryCore

struct PageSlot: Equatable {
    private(set) var raw: UInt64

    static let uncommitted = PageSlot(raw: 0)

    private init(raw: UInt64) { self.raw = raw }

    /// A slot holding `frame`; nil for a frame number that cannot be a physical frame (>= 2^52).
    init?(frame: FrameNumber) {
        guard frame.raw < 1 << 52 else { return nil }
        raw = frame.raw + 1
    }

    var frame: FrameNumber? { raw == 0 ? nil : FrameNumber(raw - 1) }
    var isCommitted: Bool { raw != 0 }
}

// The optional per-block trailer: requested size plus canary in the block's last 8 bytes, and a
// red zone between the caller's bytes and the trailer.

/// Whether each block carries a trailer after the caller's bytes (fixed when the heap is built:
/// blocks with and without trailers cannot be told apart).
public enum AllocationTrailer: Hashable, Sendable {
    /// No trailer: a block's usable size is its whole size; requested sizes are not kept, so
    /// `HeapStatistics.liveRequestedBytes` is nil.
    case none
    /// The last 8 bytes of each block hold the requested size (low 32 bits) and a canary mixed
    /// with the block's address (high 32 bits); the bytes between the request and the trailer are
    /// filled with `redZoneByte`. Free verifies both: a write past the end is reported as
    /// `HeapEvent.redZoneOverwritten` and counted, never trapped. The statistics then count live
    /// requested bytes exactly. Costs 8 bytes per block (a 16-byte request takes a 32-byte
    /// block) and O(slack) per operation: a debugging and accounting configuration.
    case requestedSizeAndRedZone

    /// The byte the red zone is filled with.
    public static let redZoneByte: UInt8 = 0xFC
    /// Mixed with address bits into the trailer's high half.
    static let canary: UInt32 = 0x7A11_B0DD

    /// Bytes the trailer takes from each block.
    var byteCount: Int { self == .none ? 0 : 8 }
}

// Why a BumpArena refused a request. The arena is unchanged by a refusal (except its failure count).

/// A BumpArena request that could not be served.
public enum ArenaError: Error, Equatable, Sendable {
    /// The byte count was zero or negative (an empty allocation has no address to give).
    case invalidSize(Int)
    /// The alignment was not a positive power of two.
    case invalidAlignment(Int)
    /// The chunk size given to init was not positive.
    case invalidChunkSize(Int)
    /// size + alignment padding + chunk header (or count * stride) does not fit in a machine word.
    case sizeOverflow
    /// The page source could not supply the pages.
    case outOfMemory
    /// rewind(to:) with a mark from another arena, or one made stale by a reset or rewind.
    case staleMark

    /// A fixed message for the console (Embedded Swift: no String formatting needed).
    @inlinable public var message: StaticString {
        switch self {
        case .invalidSize: "arena: size must be positive"
        case .invalidAlignment: "arena: alignment must be a power of two"
        case .invalidChunkSize: "arena: chunk size must be positive"
        case .sizeOverflow: "arena: size arithmetic overflows"
        case .outOfMemory: "arena: page source out of memory"
        case .staleMark: "arena: mark does not belong to this arena's current chunks"
        }
    }
}

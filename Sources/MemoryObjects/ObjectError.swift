// Every refusal of the objects layer. Each operation checks before it changes anything, so a thrown
// error always means "nothing changed". `reason` is the kebab-case name the serial log and
// docs/syscalls.md use; the syscall layer maps each case to its errno (noted per case).

public enum ObjectError: Error, Equatable, Sendable {
    /// EBADF: a handle value never given, already closed, or of another process's table.
    case badHandle
    /// EBADF: the handle names the wrong kind of object (a channel where memory was needed...).
    case wrongKind
    /// EACCES: the handle lacks a right the operation needs, or a duplicate asked for more.
    case rightsExceeded
    /// EINVAL: a page range not inside the object (or wrapping).
    case outsideObject
    /// EINVAL: an object of zero pages, or an empty range where one page at least is needed.
    case zeroSize
    /// EINVAL/ENOMEM: more pages than `MemoryObjects.maximumPageCount`.
    case tooLarge
    /// EMFILE: the process's 64 handle slots are all in use.
    case handleTableFull
    /// ENOMEM: the registry's `MemoryObjects.capacity` objects exist.
    case objectTableFull
    /// ENOMEM: the kernel's `Channels.capacity` channels exist.
    case channelTableFull
    /// ENOMEM: the system commit ledger refused the object's charge.
    case commitLimit
    /// ENOMEM: the frame source had no frame (should not happen under strict commit).
    case outOfFrames
    /// EAGAIN: the peer's queue holds `Channels.queueCapacity` messages.
    case channelFull
    /// EPIPE: the other endpoint is closed (send), or closed and the queue drained (receive).
    case peerClosed
    /// EINVAL: more than `Channels.maximumMessageBytes` bytes.
    case messageTooLarge
    /// EINVAL: more than `Channels.maximumMessageHandles` handles.
    case tooManyHandles
    /// EINVAL: an endpoint of the channel itself sent over that channel.
    case handleIsChannel
    /// EINVAL: the sent channel endpoint would end up (directly or through queued messages)
    /// inside its own queue: such a loop could never be closed by anyone, so it is refused.
    case channelLoop
    /// EINVAL: the same handle value twice in one send (or spawn).
    case duplicateHandle
    /// EINVAL: the receive buffer (bytes or handles) is smaller than the next message, which
    /// stays queued.
    case bufferTooSmall
    /// EAGAIN: nothing queued and the peer is open (a blocking receive waits instead).
    case wouldBlock
    /// A stale or never-issued object id (a bug in the caller, reported instead of trapping).
    case noSuchObject
    /// A stale or never-issued channel id or endpoint number (as noSuchObject).
    case noSuchChannel
    /// A reference count at its maximum (2^32 - 1): one more reference is refused.
    case referenceOverflow
    /// adopt: a frame already held by an object, listed twice, or not a valid frame number.
    case frameInUse

    /// The log's and the docs' name of the reason.
    public var reason: StaticString {
        switch self {
        case .badHandle: "bad-handle"
        case .wrongKind: "wrong-kind"
        case .rightsExceeded: "rights-exceeded"
        case .outsideObject: "outside-object"
        case .zeroSize: "zero-size"
        case .tooLarge: "too-large"
        case .handleTableFull: "handle-table-full"
        case .objectTableFull: "object-table-full"
        case .channelTableFull: "channel-table-full"
        case .commitLimit: "commit-limit"
        case .outOfFrames: "out-of-frames"
        case .channelFull: "channel-full"
        case .peerClosed: "peer-closed"
        case .messageTooLarge: "message-too-large"
        case .tooManyHandles: "too-many-handles"
        case .handleIsChannel: "handle-is-channel"
        case .channelLoop: "channel-loop"
        case .duplicateHandle: "duplicate-handle"
        case .bufferTooSmall: "buffer-too-small"
        case .wouldBlock: "would-block"
        case .noSuchObject: "no-such-object"
        case .noSuchChannel: "no-such-channel"
        case .referenceOverflow: "reference-overflow"
        case .frameInUse: "frame-in-use"
        }
    }
}

// Validate: why a call was refused. Every refusal has its own named reason (logged by the kernel
// at `debug`, seL4's practice) and the errno the ABI gives it; several reasons share an errno
// (unmap's EINVAL covers a bad range, pages not from map, and the image or stack), never the
// other way round. A refused call changes nothing.
import MemoryObjects
import PageTables

/// The reason a call was refused.
public enum RejectionReason: Error, Hashable, Sendable {
    /// A length or range validateUserRange refused (its reason names the log's `reason=`).
    case badRange(UserRangeError)
    /// Protection bits UserProtection.decode refused.
    case badProtection(UserProtectionError)
    // What the range holds.
    /// Some page of the range is not mapped (unmap, protect) or not mapped with the needed access
    /// (write, memstat buffers).
    case notMapped
    case noAccess
    /// The range overlaps the program image, its break, the stack or its guard page.
    case imageOrStack
    /// A map hint overlaps an existing mapping.
    case overlapsMapping
    // Resources.
    case mapAreaFull
    /// The charge would pass the system's commit limit (strict commit).
    case commitLimit
    /// The charge would pass the process's quota (`commit_quota_mb=`).
    case quotaExceeded
    case outOfFrames
    case outOfTableFrames
    // Calls.
    // map's options (MapOptions.decode's reasons, in its order).
    case unknownMapOptions
    /// An alignment field (map's options, remap's flags: one field, one rule) outside 12...30.
    case badAlignment
    case writeTooLong
    case breakBelowStart
    case breakBeyondLimit
    case unknownNumber
    // Process calls.
    /// spawn: the name is longer than ProcessCalls.maximumProgramName.
    case programNameTooLong
    /// spawn: no boot module has that name.
    case noSuchProgram
    /// spawn: the module is not an executable the loader accepts.
    case badExecutable
    /// spawn: the process table is full (live and unreaped processes together).
    case processTableFull
    /// spawn: the caller's process tree (its kernel-started ancestor and all descendants) is full.
    case processTreeFull
    /// wait: the pid names no child of the caller (or the caller has none).
    case notAChild
    // remap (ProcessMemory+Remap.swift).
    case unknownRemapFlags
    /// The run holds pages of different protections (Linux: it spans several mappings).
    case mixedProtection
    /// Growth needs pages that are taken and the flags do not allow a move.
    case noRoomInPlace
    /// The fixed flag without mayMove (a fixed destination is a move).
    case fixedWithoutMayMove
    /// A fixed destination that overlaps the run itself (Linux: EINVAL).
    case destinationOverlapsRun
    // Memory objects, handles and channels (ObjectCalls.swift).
    /// A refusal of the objects layer (MemoryObjects' ObjectError: bad-handle, wrong-kind,
    /// rights-exceeded, outside-object, handle-table-full, channel-full, peer-closed, ...); its
    /// errno is `ObjectError.errno`.
    case object(ObjectError)
    /// remap over an object region (its pages are an object's, not the process's to move).
    case objectMapping
    /// object_from_range over pages that are not all private `map` memory.
    case notAnonymous
    /// object_create's options: a bit no option has (none is defined yet).
    case unknownObjectOptions
    /// handle_duplicate's rights: a bit no right has.
    case unknownRights
    /// object_commit's operation: neither 0 (commit) nor 1 (decommit).
    case unknownCommitOperation
    /// channel_receive's flags: a bit other than bit 0 (non-blocking).
    case unknownReceiveFlags

    public init(_ error: UserRangeError) { self = .badRange(error) }

    public init(_ error: UserProtectionError) { self = .badProtection(error) }

    /// The reason's name in log lines (`reason=...`).
    public var name: StaticString {
        switch self {
        case .badRange(let error): error.name
        case .badProtection(let error): error.name
        case .notMapped: "not-mapped"
        case .noAccess: "no-access"
        case .imageOrStack: "image-or-stack"
        case .overlapsMapping: "overlaps-mapping"
        case .mapAreaFull: "map-area-full"
        case .commitLimit: "commit-limit"
        case .quotaExceeded: "quota-exceeded"
        case .unknownMapOptions: "unknown-map-options"
        case .badAlignment: "bad-alignment"
        case .outOfFrames: "out-of-frames"
        case .outOfTableFrames: "out-of-table-frames"
        case .writeTooLong: "write-too-long"
        case .breakBelowStart: "break-below-start"
        case .breakBeyondLimit: "break-beyond-limit"
        case .unknownNumber: "unknown-number"
        case .programNameTooLong: "program-name-too-long"
        case .noSuchProgram: "no-such-program"
        case .badExecutable: "bad-executable"
        case .processTableFull: "process-table-full"
        case .processTreeFull: "process-tree-full"
        case .notAChild: "not-a-child"
        case .unknownRemapFlags: "unknown-remap-flags"
        case .mixedProtection: "mixed-protection"
        case .noRoomInPlace: "no-room-in-place"
        case .fixedWithoutMayMove: "fixed-without-may-move"
        case .destinationOverlapsRun: "destination-overlaps-run"
        case .object(let error): error.reason
        case .objectMapping: "object-mapping"
        case .notAnonymous: "not-anonymous"
        case .unknownObjectOptions: "unknown-object-options"
        case .unknownRights: "unknown-rights"
        case .unknownCommitOperation: "unknown-commit-operation"
        case .unknownReceiveFlags: "unknown-receive-flags"
        }
    }
}

/// A refused call: the errno the program sees and the reason the log names.
public struct Rejection: Error, Hashable, Sendable {
    public var errno: Errno
    public var reason: RejectionReason

    @inlinable public init(_ errno: Errno, _ reason: RejectionReason) {
        self.errno = errno
        self.reason = reason
    }

    /// A refusal of the objects layer, with the errno the ABI gives it.
    public init(_ error: ObjectError) { self.init(error.errno, .object(error)) }
}

extension ObjectError {
    /// The errno of each objects-layer refusal (docs/syscalls.md, "Memory objects"): EBADF for a
    /// handle that is not the caller's or not of the kind needed, EACCES for missing rights,
    /// EMFILE for a full handle table, EPIPE for a closed peer, EAGAIN for a full or empty queue,
    /// ENOMEM for the charge and the kernel's tables, EINVAL for the rest.
    public var errno: Errno {
        switch self {
        case .badHandle, .wrongKind, .noSuchObject, .noSuchChannel: .badHandle
        case .rightsExceeded: .permissionDenied
        case .handleTableFull: .tooManyHandles
        case .peerClosed: .brokenPipe
        case .channelFull, .wouldBlock: .tryAgain
        case .objectTableFull, .channelTableFull, .commitLimit, .outOfFrames, .referenceOverflow: .outOfMemory
        case .outsideObject, .zeroSize, .tooLarge, .messageTooLarge, .tooManyHandles, .handleIsChannel, .channelLoop,
            .duplicateHandle, .bufferTooSmall, .frameInUse:
            .invalidArgument
        }
    }
}

/// What a call returns to the program (rax), and why it was refused when it was. brk's refusals
/// return the unchanged break as a value and still carry their reason.
public struct SyscallOutcome: Hashable, Sendable {
    public var result: Int64
    public var rejection: Rejection?

    @inlinable public init(result: Int64, rejection: Rejection? = nil) {
        self.result = result
        self.rejection = rejection
    }

    @inlinable public init(_ outcome: Result<UInt64, Rejection>) {
        switch outcome {
        case .success(let value): self.init(result: Int64(bitPattern: value))
        case .failure(let rejection): self.init(result: -Int64(rejection.errno.rawValue), rejection: rejection)
        }
    }

    /// The outcome of an unknown call number.
    public static let unknownNumber = SyscallOutcome(.failure(Rejection(.notImplemented, .unknownNumber)))
}

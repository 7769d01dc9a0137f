// Typed wrappers of the memory-object and channel calls (12-21) and of spawn with handles
// (docs/syscalls.md, "Memory objects, handles and channels").
//
// As the other wrappers (Syscall.swift): every value goes to the kernel unchanged, in the
// register the ABI names; nothing is rounded, clamped or checked here, so the hostile programs
// can hand the kernel any bad handle, range, right or pointer. Handles are the kernel's numbers
// (`HandleValue`: generation << 16 | slot + 1), rights the ABI's bits (`Rights`).
import MemoryCore

/// commit/decommit: the fourth argument of object_commit.
enum CommitOperation: UInt64 {
    case commit = 0
    case decommit = 1
}

/// What channel_receive delivered: the message's byte count and how many handles it carried
/// (written to the caller's handle buffer in the order they were sent).
struct ReceivedMessage: Equatable {
    var byteCount: UInt64
    var handleCount: UInt64

    /// The raw result: bytes in the low 32 bits, handle count above.
    init(raw: UInt64) {
        byteCount = raw & 0xFFFF_FFFF
        handleCount = raw >> 32
    }
}

extension Syscall {
    /// object_create(size, options) -> a handle with every right on a new object of
    /// round_up(size, 4096) bytes, pages uncommitted (read as zero), its whole size charged.
    static func objectCreate(size: UInt64, options: UInt64 = 0) throws(Errno) -> HandleValue {
        try handle(SyscallTrap.invoke(.objectCreate, size, options))
    }

    /// object_map(handle, offset, length, protection, hint, options) -> where the range of the
    /// object is mapped (hint nil: the kernel chooses, as map does; a hint is used exactly or
    /// EEXIST; options as map's: populate maps every page in the call).
    static func objectMap(
        _ handle: HandleValue, offset: UInt64, length: UInt64, protection: Protection, hint: VirtualAddress? = nil,
        options: MapOptions = MapOptions()
    ) throws(Errno) -> VirtualAddress {
        let raw = swiftmm_syscall6(
            SyscallNumber.objectMap.rawValue, handle.raw, offset, length, protection.rawValue, hint?.raw ?? 0, options.rawValue)
        return VirtualAddress(try SyscallResult.value(of: raw))
    }

    /// object_commit(handle, offset, length, op): commits (fresh zeroed frames) or decommits
    /// (frames dropped, the range reads as zero again) a range of the object.
    static func objectCommit(_ handle: HandleValue, offset: UInt64, length: UInt64, operation: CommitOperation) throws(Errno) {
        try objectCommit(handle, offset: offset, length: length, rawOperation: operation.rawValue)
    }

    /// object_commit with a raw operation word (hostile programs pass values the ABI refuses).
    static func objectCommit(_ handle: HandleValue, offset: UInt64, length: UInt64, rawOperation: UInt64) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.objectCommit, handle.raw, offset, length, rawOperation))
    }

    /// handle_duplicate(handle, rights) -> a new handle to the same object with `rights` (a
    /// subset of the handle's; needs the duplicate right).
    static func handleDuplicate(_ handle: HandleValue, rights: Rights) throws(Errno) -> HandleValue {
        try handleDuplicate(handle, rawRights: UInt64(rights.rawValue))
    }

    /// handle_duplicate with a raw rights word (hostile programs pass bits the ABI refuses).
    static func handleDuplicate(_ handle: HandleValue, rawRights: UInt64) throws(Errno) -> HandleValue {
        try self.handle(SyscallTrap.invoke(.handleDuplicate, handle.raw, rawRights))
    }

    /// handle_close(handle): the value is refused from now on (its slot's generation moves on).
    static func handleClose(_ handle: HandleValue) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.handleClose, handle.raw))
    }

    /// object_clone(handle, offset, length) -> a handle with every right on a copy-on-write
    /// clone of the range (needs read and duplicate on the source).
    static func objectClone(_ handle: HandleValue, offset: UInt64, length: UInt64) throws(Errno) -> HandleValue {
        try self.handle(SyscallTrap.invoke(.objectClone, handle.raw, offset, length))
    }

    /// channel_create(out) -> the two endpoints of a new channel.
    static func channelCreate() throws(Errno) -> (HandleValue, HandleValue) {
        var pair: (UInt64, UInt64) = (0, 0)
        let raw = withUnsafeMutableBytes(of: &pair) { bytes in
            SyscallTrap.invoke(.channelCreate, VirtualAddress(UnsafeRawBufferPointer(bytes)).raw)
        }
        _ = try SyscallResult.value(of: raw)
        return (HandleValue(raw: pair.0), HandleValue(raw: pair.1))
    }

    /// channel_create with a caller-chosen (possibly hostile) destination of the two handles.
    static func channelCreate(into address: VirtualAddress) throws(Errno) {
        _ = try SyscallResult.value(of: SyscallTrap.invoke(.channelCreate, address.raw))
    }

    /// channel_send(handle, bytes, length, handles, count): queues a message on the peer's side;
    /// the sent handles leave this process (EAGAIN when 16 messages wait, EPIPE when the peer is
    /// closed; a refused send moves nothing).
    static func channelSend(
        _ channel: HandleValue, bytes: UnsafeRawBufferPointer,
        handles: UnsafeBufferPointer<UInt64> = UnsafeBufferPointer(start: nil, count: 0)
    ) throws(Errno) {
        try channelSend(
            channel, bytesAt: VirtualAddress(bytes), length: UInt64(bytes.count),
            handlesAt: VirtualAddress(UInt64(UInt(bitPattern: handles.baseAddress))), handleCount: UInt64(handles.count))
    }

    /// channel_send with raw addresses and counts (hostile programs pass bad ones).
    static func channelSend(
        _ channel: HandleValue, bytesAt bytes: VirtualAddress, length: UInt64, handlesAt handles: VirtualAddress,
        handleCount: UInt64
    ) throws(Errno) {
        let raw = swiftmm_syscall6(
            SyscallNumber.channelSend.rawValue, channel.raw, bytes.raw, length, handles.raw, handleCount, 0)
        _ = try SyscallResult.value(of: raw)
    }

    /// channel_receive(handle, buffer, capacity, handlesOut, handlesCapacity, flags): the next
    /// message, blocking until one comes unless `nonblocking` (then EAGAIN); EPIPE once the peer
    /// is closed and the queue is empty; EINVAL (the message stays queued) when it does not fit.
    static func channelReceive(
        _ channel: HandleValue, into buffer: UnsafeMutableRawBufferPointer,
        handles: UnsafeMutableBufferPointer<UInt64> = UnsafeMutableBufferPointer(start: nil, count: 0), nonblocking: Bool = false
    ) throws(Errno) -> ReceivedMessage {
        try channelReceive(
            channel, bufferAt: VirtualAddress(UnsafeRawBufferPointer(buffer)), capacity: UInt64(buffer.count),
            handlesAt: VirtualAddress(UInt64(UInt(bitPattern: handles.baseAddress))), handleCapacity: UInt64(handles.count),
            flags: nonblocking ? 1 : 0)
    }

    /// channel_receive with raw addresses, capacities and flags.
    static func channelReceive(
        _ channel: HandleValue, bufferAt buffer: VirtualAddress, capacity: UInt64, handlesAt handles: VirtualAddress,
        handleCapacity: UInt64, flags: UInt64
    ) throws(Errno) -> ReceivedMessage {
        let raw = swiftmm_syscall6(
            SyscallNumber.channelReceive.rawValue, channel.raw, buffer.raw, capacity, handles.raw, handleCapacity, flags)
        return ReceivedMessage(raw: try SyscallResult.value(of: raw))
    }

    /// object_from_range(address, length) -> a handle with every right on a new object holding
    /// the frames of that private `map` range, which leaves this address space (no byte copied).
    static func objectFromRange(address: VirtualAddress, length: UInt64) throws(Errno) -> HandleValue {
        try handle(SyscallTrap.invoke(.objectFromRange, address.raw, length))
    }

    /// spawn(name, handles): starts the program as a child that finds `handles` as its first
    /// handles (0x10001, 0x10002, ...); they leave this process.
    static func spawn(_ name: StaticString, handles: UnsafeBufferPointer<UInt64>) throws(Errno) -> UInt64 {
        try spawn(
            address: VirtualAddress(UInt64(UInt(bitPattern: name.utf8Start))), length: UInt64(name.utf8CodeUnitCount),
            handlesAt: VirtualAddress(UInt64(UInt(bitPattern: handles.baseAddress))), handleCount: UInt64(handles.count))
    }

    /// spawn with raw name and handle arguments.
    static func spawn(
        address: VirtualAddress, length: UInt64, handlesAt handles: VirtualAddress, handleCount: UInt64
    ) throws(Errno)
        -> UInt64
    {
        try SyscallResult.value(of: SyscallTrap.invoke(.spawn, address.raw, length, handles.raw, handleCount))
    }

    private static func handle(_ raw: Int64) throws(Errno) -> HandleValue {
        HandleValue(raw: try SyscallResult.value(of: raw))
    }
}

// What differs between the kernel and a host double, and nothing else. Physical memory access and
// the table-frame source come with the process's AddressSpace and ProcessMemory.
import MemoryCore
import MemoryObjects
import PageTables

/// The machine a process's memory calls run on.
public protocol SyscallMachine: TLBInvalidator {
    /// A zeroed frame to back the user page `page`, or nil when frames ran out. (The kernel takes
    /// any free frame; a host double may choose one that suits its model, e.g. the next of a run.)
    mutating func allocateUserFrame(for page: VirtualAddress) -> FrameNumber?
    /// Takes back a user frame that is unmapped and whose translation was invalidated.
    mutating func freeUserFrame(_ frame: FrameNumber)
    /// The machine's one frame of zeros, mapped read-only wherever a page is first read. Never
    /// freed, never written.
    var sharedZeroFrame: FrameNumber { get }
    /// The machine-wide commit ledger every process's charge goes through.
    var commit: SystemCommit { get set }
    /// Free frames in the whole machine (memstat's free_frames_system).
    var freeFrameCount: UInt64 { get }
    /// The bytes a program wrote (called once per write, with the whole buffer in chunks).
    mutating func writeConsole(_ bytes: UnsafeRawBufferPointer)

    /// Where memory objects get frames and charges: the same frame allocator and the same commit
    /// ledger as `allocateUserFrame` and `commit` (a private frame may move into an object:
    /// object_from_range; an object's frame is freed through this source, never freeUserFrame).
    associatedtype ObjectFrames: ObjectFrameSource = NoMemoryObjects
    /// Runs `body` with the machine's one registry of memory objects and its frame source, in one
    /// access (the two are used together). ProcessMemory reaches objects only through this, for
    /// object regions: faults, unmap, destroy, object_from_range.
    mutating func withObjects<Result, Failure: Error>(
        _ body: (inout MemoryObjects, inout ObjectFrames) throws(Failure) -> Result
    ) throws(Failure) -> Result

    /// A present leaf mapping `frame` appeared in this process's space for an object page (a
    /// fault), or a present leaf mapping `frame` left it (any unmap of a non-zero leaf: the kernel
    /// counts only the frames it saw mapped as object pages). The kernel's exact count of frames
    /// mapped in two or more spaces (the summary's shared_frames_peak=); host doubles ignore them.
    mutating func objectLeafMapped(_ frame: FrameNumber)
    mutating func leafUnmapped(_ frame: FrameNumber)
}

extension SyscallMachine {
    public mutating func objectLeafMapped(_ frame: FrameNumber) {}
    public mutating func leafUnmapped(_ frame: FrameNumber) {}
}

/// The frame source of a machine without memory objects (a host double of the private-memory
/// calls): no value of it exists, so none of its methods can run.
public enum NoMemoryObjects: ObjectFrameSource {
    public mutating func allocateZeroedFrame() -> FrameNumber? { switch self {} }
    public mutating func copyFrame(from: FrameNumber, to: FrameNumber) { switch self {} }
    public mutating func freeFrame(_ frame: FrameNumber) { switch self {} }
    public mutating func chargeCommit(_ pages: UInt64) -> Bool { switch self {} }
    public mutating func releaseCommit(_ pages: UInt64) { switch self {} }
}

extension SyscallMachine where ObjectFrames == NoMemoryObjects {
    /// A machine without memory objects: object regions exist only through the object calls
    /// (ObjectCalls, whose machine has a registry), so nothing can reach this.
    public mutating func withObjects<Result, Failure: Error>(
        _ body: (inout MemoryObjects, inout NoMemoryObjects) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        preconditionFailure("this machine has no memory objects")
    }
}

// What differs between the kernel and a host double, and nothing else. Physical memory access and
// the table-frame source come with the process's AddressSpace and ProcessMemory.
import MemoryCore
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
}

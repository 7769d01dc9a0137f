// MemoryObjects: memory as objects that processes create, map, share, clone and hand to each
// other, as pure logic over frame numbers (issue 9; the contract is /work/notes/ISSUE9-CONTRACT.md).
// The kernel keeps one `KernelObjects` (the object registry + the channels) and one HandleTable per
// process; Sources/Syscalls decodes and validates the object system calls and calls in here; the
// host tests drive the same structures against a reference model with every checker after every
// operation.
//
//   Generation.swift              the 16-bit generation counter that makes stale ids fail
//   SlotAllocator.swift           fixed-capacity slots + generations (objects, channels, handles)
//   ObjectID.swift, ChannelID.swift, HandleValue.swift   the typed names
//   Rights.swift, KernelObject.swift (KernelObject + Handle)
//   HandleTable.swift (+Invariants)  a process's 64 handles
//   ObjectFrameSource.swift       where frames and commit charges come from (kernel or host fake)
//   MemoryObject.swift, PageSlot.swift   one object: its page slots and its reference count
//   FrameReferenceCounts.swift    frame -> number of object page slots holding it
//   ObjectRegistry.swift          the registry `MemoryObjects`: create, clone, adopt, retain, release
//   ObjectRegistry+Pages.swift    resolvePage (commit on demand, CoW copy), commit, decommit
//   ObjectRegistry+Invariants.swift, ObjectStatistics.swift
//   Channel.swift, ChannelMessage.swift, Channels.swift (+Transfer, +Invariants)
//   KernelObjects+Invariants.swift  every checker, and references against their holders
//   KernelObjects.swift           handles across both: duplicate, close, process exit, the
//                                 release cascade (a dying channel releases the handles it queued)
//   ObjectError.swift             every refusal, with its errno-facing reason name
//
// Glossary: frame = physical 4 KiB; page = 4 KiB of an object (page i = bytes [i*4096, (i+1)*4096)).
// A page slot is uncommitted (reads as zero) or holds one frame.
//
// Accounting rules (checked by the invariant checkers):
//   refcount(frame)          == number of (object, page) slots holding the frame, over live objects
//   chargedPages             == sum of pageCount over live objects (strict commit: whole size, once)
//   object.references        == handles naming it (in tables or in transit) + mapping regions of it
//                               (the syscall layer retains once per region and releases on unmap)
//   sharedFrames             == number of frames with refcount > 1
//   committedPages           == number of committed slots (sum over objects)
//   framesHeld               == number of frames with refcount >= 1 (<= committedPages)
// An object dies when its references reach 0: every slot's frame loses one ref, frames at 0 go
// back to the frame source, and its charge is released.

// The ABI comes from the shared Syscalls module (Sources/Syscalls): numbers, Errno and
// SyscallResult, Protection, the user layout (UserSpace.imageBase, .stackEnd, ...) and the
// memstat record, the same definitions the kernel uses; handle values and rights from
// MemoryObjects. Re-exported so every file of the runtime and of each program sees them.
@_exported import MemoryCore
@_exported import MemoryObjects
@_exported import PageTables
@_exported import Syscalls

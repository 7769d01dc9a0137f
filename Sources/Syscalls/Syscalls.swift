// Syscalls: the SwiftMM system-call layer, written once and run by every party to the ABI.
//
// The ABI (docs/syscalls.md is its prose reference):
//   SyscallNumber.swift     call numbers
//   Errno.swift             errno values and names; SyscallResult encodes and decodes rax
//   Protection.swift        protection bits (PageTables' UserProtection decodes them)
//   UserLayout.swift        the user address layout and the placement rules (ONE place)
//   MemoryStatistics.swift  memstat's 64-byte record
// The calls, each as decode -> validate -> invoke (seL4's discipline):
//   SyscallRequest.swift    decode: registers -> a typed request
//   Rejection.swift         validate: every refusal has its own named reason and its errno
//   ProcessMemory*.swift    invoke: one process's address space and the memory calls over it
//   SyscallMachine.swift    what differs between the kernel and a host double: user frames,
//                           TLB invalidation, the console, the free-frame count (physical memory
//                           access and table frames come with the AddressSpace)
//
// Used by: the kernel (Kernel/Process: thin adapters), the user runtime (User/Runtime/Syscalls:
// the ABI half), and the host doubles (Tests/UserMallocTests/KernelStackPageSource.swift,
// User/Tests/UserRuntimeTests/FakeKernel.swift), so a rule is written once and tested once.
//
// Adding a call: a case in SyscallNumber (and its name), a case in MemoryRequest decoded in
// SyscallRequest.decode, a method in ProcessMemory+Calls.swift that validates (returning a
// Rejection with a new named reason) then invokes, one line in ProcessMemory.perform; then a
// wrapper in User/Runtime/Syscalls/Syscall.swift and a section in docs/syscalls.md.

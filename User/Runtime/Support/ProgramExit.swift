// How a program ends on purpose: flush the console, then the exit syscall.
// Exit codes the runtime itself uses (docs/syscalls.md lists them for test scripts):
//   0          success (user_main returned 0)
//   1 ... 99   program-specific failures (memtest: the number of the first check that failed)
//   101 ... 107  heap misuse reported by UserHeap: 100 + HeapError.code
//                (101 foreign pointer, 102 interior pointer, 103 never allocated, 104 double free,
//                 105 header canary, 106 free list, 107 boundary tag)
//   134        runtime abort (the runtime itself found something impossible)

import KernelLog

enum ProgramExit {
    static let heapMisuseBase: Int32 = 100
    static let abortCode: Int32 = 134

    /// Flushes the console and exits with `code`.
    static func exit(_ code: Int32) -> Never {
        Console.flush()
        Syscall.exit(code)
    }

    /// Prints `swiftmm abort reason=<reason>` and exits with 134.
    static func abort(_ reason: StaticString) -> Never {
        Console.line("swiftmm").word("abort").text("reason", reason).end()
        exit(abortCode)
    }
}

// swift-tools-version:6.0
// Host build of SwiftMM's memory-manager modules: `swift test` runs their unit and randomized tests,
// `make bench` runs SwiftMMBench in release mode. The same Sources/ modules are compiled a second
// time in Embedded Swift by the Makefile for the kernel (see Makefile, EMBEDDED_MODULES).
import PackageDescription

let package = Package(
    name: "SwiftMM",
    products: [
        .library(name: "MemoryCore", targets: ["MemoryCore"]),
        .library(name: "KernelLog", targets: ["KernelLog"]),
        .library(name: "PhysicalMemory", targets: ["PhysicalMemory"]),
        .library(name: "BuddyHeap", targets: ["BuddyHeap"]),
        .library(name: "SlabHeap", targets: ["SlabHeap"]),
        .library(name: "PageTables", targets: ["PageTables"]),
        .library(name: "UserMalloc", targets: ["UserMalloc"]),
        .library(name: "ProgramLoader", targets: ["ProgramLoader"]),
        .library(name: "BootOptions", targets: ["BootOptions"]),
        .library(name: "Syscalls", targets: ["Syscalls"]),
        .library(name: "UserAllocators", targets: ["UserAllocators"]),
        .library(name: "Scheduling", targets: ["Scheduling"]),
        .library(name: "MemoryObjects", targets: ["MemoryObjects"]),
        .executable(name: "mmlog", targets: ["mmlog"]),
    ],
    targets: [
        .target(name: "MemoryCore"),
        .target(name: "KernelLog", dependencies: ["MemoryCore"]),
        .target(name: "PhysicalMemory", dependencies: ["MemoryCore"]),
        .target(name: "BuddyHeap", dependencies: ["MemoryCore"]),
        .target(name: "SlabHeap", dependencies: ["MemoryCore", "BuddyHeap"]),
        .target(name: "PageTables", dependencies: ["MemoryCore"]),
        .target(name: "UserMalloc", dependencies: ["MemoryCore"]),
        .target(name: "ProgramLoader", dependencies: ["MemoryCore", "PageTables"]),
        .target(name: "BootOptions", dependencies: ["KernelLog"]),
        .target(name: "Syscalls", dependencies: ["MemoryCore", "PageTables", "MemoryObjects"]),
        .target(name: "UserAllocators", dependencies: ["MemoryCore", "UserMalloc"]),
        .target(name: "Scheduling"),
        // -O even in debug: the randomized test (200 000 operations, every checker after each) runs
        // its unspecialized generic code ~10x slower at -Onone, past its time budget.
        .target(name: "MemoryObjects", dependencies: ["MemoryCore"], swiftSettings: [.unsafeFlags(["-O"])]),
        .executableTarget(
            name: "SwiftMMBench",
            dependencies: ["MemoryCore", "PhysicalMemory", "BuddyHeap", "SlabHeap", "PageTables", "UserMalloc", "UserAllocators",
                           "TestSupport", "Syscalls", "BenchReplay"],
            // LinuxPageSource.swift is a link to Library/Source/MmapPageSource.swift: the bench's
            // heap gets its pages exactly as libswiftmm's does (its @_extern(c) needs Extern).
            // -mframe-pointer=none (a Clang option; Swift's code generation follows Clang's):
            // SwiftPM passes -fno-omit-frame-pointer, which libswiftmm's swiftc build (Makefile) and
            // the peers' C builds do not have; with it, our malloc and free each pushed and popped
            // %rbp on their fast paths. (-Xcc -fomit-frame-pointer would come before SwiftPM's flag
            // and lose; -Xclang options come after the driver's.)
            swiftSettings: [
                .unsafeFlags(["-Ounchecked", "-Xcc", "-Xclang", "-Xcc", "-mframe-pointer=none"]),
                .enableExperimentalFeature("Extern"),
            ]
        ),
        // The malloc bench's timed loops in C, each at the start of a page of its own, so that the
        // peers' times do not move with our Swift code (include/BenchReplay.h). -O2 and no jump
        // table in every configuration: the loops' bytes reference nothing outside themselves.
        .target(name: "BenchReplay", cSettings: [.unsafeFlags(["-O2", "-fno-jump-tables"])]),
        // Host-only (Foundation): the serial log -> text report, HTML page, Perfetto trace.
        .target(name: "MMLogKit"),
        .executableTarget(name: "mmlog", dependencies: ["MMLogKit"]),
        .target(
            name: "TestSupport",
            dependencies: ["MemoryCore", "PhysicalMemory", "BuddyHeap", "PageTables", "UserMalloc", "ProgramLoader"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "MemoryCoreTests", dependencies: ["MemoryCore", "TestSupport"]),
        .testTarget(name: "KernelLogTests", dependencies: ["KernelLog", "MemoryCore"]),
        .testTarget(name: "PhysicalMemoryTests", dependencies: ["PhysicalMemory", "MemoryCore", "TestSupport"]),
        .testTarget(name: "BuddyHeapTests", dependencies: ["BuddyHeap", "MemoryCore", "TestSupport"]),
        .testTarget(name: "SlabHeapTests", dependencies: ["SlabHeap", "BuddyHeap", "MemoryCore", "TestSupport"]),
        .testTarget(name: "PageTablesTests", dependencies: ["PageTables", "PhysicalMemory", "MemoryCore", "TestSupport"]),
        .testTarget(name: "UserMallocTests", dependencies: ["UserMalloc", "PageTables", "PhysicalMemory", "MemoryCore", "TestSupport"]),
        .testTarget(name: "MMLogKitTests", dependencies: ["MMLogKit"], exclude: ["Fixtures"]),
        .testTarget(name: "SyscallsTests", dependencies: ["Syscalls", "Scheduling", "PageTables", "PhysicalMemory", "MemoryCore", "TestSupport", "MemoryObjects"]),
        .testTarget(name: "ProgramLoaderTests", dependencies: ["ProgramLoader", "MemoryCore", "PageTables", "TestSupport"]),
        .testTarget(name: "BootOptionsTests", dependencies: ["BootOptions", "KernelLog"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "TestSupport"]),
        .testTarget(
            name: "MemoryObjectsTests", dependencies: ["MemoryObjects", "MemoryCore", "TestSupport"],
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .testTarget(name: "UserAllocatorsTests", dependencies: ["UserAllocators", "UserMalloc", "MemoryCore", "TestSupport"]),
    ]
)

// swift-tools-version:6.0
// Host tests of the user runtime (`make user-test`, or `swift test --package-path User`).
//
// The runtime's syscall layer (Runtime/Syscalls: typed wrappers, Errno decoding, the page source
// of UserMalloc) is compiled for the host unchanged; the tests link a fake kernel under the asm
// stub's C name `swiftmm_syscall6`, so every wrapper runs its real code against a model of the
// ABI. Runtime/Support (C-ABI exports, the program heap, ceil) only makes sense inside a program
// and is exercised by the programs themselves (in QEMU: `make test` runs every program).
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder (lowercased): the repository's checkout folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "SwiftMMUser",
    dependencies: [.package(path: "..")],
    targets: [
        .target(
            name: "UserSyscalls",
            dependencies: [
                .product(name: "MemoryCore", package: root), .product(name: "PageTables", package: root),
                .product(name: "Syscalls", package: root), .product(name: "UserMalloc", package: root),
                .product(name: "MemoryObjects", package: root),
            ],
            path: "Runtime/Syscalls",
            swiftSettings: [.enableExperimentalFeature("Extern")]
        ),
        .testTarget(
            name: "UserRuntimeTests",
            dependencies: [
                "UserSyscalls", .product(name: "MemoryCore", package: root), .product(name: "PageTables", package: root),
                .product(name: "Syscalls", package: root), .product(name: "UserMalloc", package: root),
                .product(name: "MemoryObjects", package: root),
            ],
            path: "Tests/UserRuntimeTests"
        ),
    ]
)

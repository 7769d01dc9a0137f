# SwiftMM: one set of memory-manager modules, two builds.
#   make run     build the kernel and boot it in QEMU (serial console on this terminal)
#   make test    host tests (swift test), then the in-kernel test suite and boots at several sizes
#   make bench   host benchmarks in release mode, side by side with glibc
#   make debug   boot with QEMU waiting for gdb
# Every flag of the embedded build lives in this file.

SHELL := /bin/bash
TC    := $(patsubst %/bin/swiftc,%,$(shell command -v swiftc 2>/dev/null))
BUILD := build

# ---- Embedded Swift: flags verified in shared/docs/toolchain.md ---------------------------------
SWIFT_EMBEDDED := -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -target x86_64-unknown-none-elf -wmo -parse-as-library -Osize \
  -Xfrontend -disable-stack-protector -Xfrontend -function-sections \
  -Xcc -mno-red-zone -Xcc -mno-sse -Xcc -mno-sse2 -Xcc -mno-mmx -Xcc -fno-pic

# Shared modules in dependency order: each is compiled on its own, exactly as the host sees it.
EMBEDDED_MODULES := MemoryCore KernelLog PhysicalMemory BuddyHeap PageTables UserMalloc

EMB := $(BUILD)/embedded

define embedded_module
$(EMB)/$(1).o: $$(wildcard Sources/$(1)/*.swift) $(2) | $(EMB)
	swiftc $$(SWIFT_EMBEDDED) -module-name $(1) -I $(EMB) -emit-module \
	  -emit-module-path $(EMB)/$(1).swiftmodule -c $$(wildcard Sources/$(1)/*.swift) -o $$@
endef

$(EMB):
	@mkdir -p $@

$(EMB)/MemoryCore.o: $(wildcard Sources/MemoryCore/*.swift)
$(eval $(call embedded_module,MemoryCore,))
$(eval $(call embedded_module,KernelLog,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,PhysicalMemory,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,BuddyHeap,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,PageTables,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,UserMalloc,$(EMB)/MemoryCore.o))

EMBEDDED_OBJECTS := $(foreach m,$(EMBEDDED_MODULES),$(EMB)/$(m).o)

## embedded-modules: compile every shared module in Embedded Swift (part of `make test`)
embedded-modules: $(EMBEDDED_OBJECTS)

.PHONY: embedded-modules

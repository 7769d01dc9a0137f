# SwiftMM: one set of memory-manager modules, two builds.
#   make run     build the kernel and boot it in QEMU (serial console on this terminal)
#   make test    host tests (swift test), then the in-kernel test suite and boots at several sizes
#   make bench   host benchmarks in release mode, side by side with glibc
#   make realworld  libswiftmm.so (LD_PRELOAD malloc) under real programs' test suites and benchmarks
#   make debug   boot with QEMU waiting for gdb
# Every flag of the embedded build lives in this file.

SHELL := /bin/bash
TC    := $(patsubst %/bin/swiftc,%,$(shell command -v swiftc 2>/dev/null))
BUILD := build

# ---- Embedded Swift: flags verified in shared/docs/toolchain.md ---------------------------------
SWIFT_EMBEDDED_COMMON := -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -target x86_64-unknown-none-elf -wmo -parse-as-library -Osize -Xfrontend -function-sections \
  -Xcc -mno-red-zone -Xcc -mno-sse -Xcc -mno-sse2 -Xcc -mno-mmx -Xcc -fno-pic
SWIFT_EMBEDDED := $(SWIFT_EMBEDDED_COMMON) -Xfrontend -disable-stack-protector
# The kernel module itself keeps Swift's stack protector: functions with address-taken locals
# check a canary (__stack_chk_guard, random at boot: boot/stackguard.asm) before they return, and
# a smashed one panics naming it (__stack_chk_fail, Kernel/Runtime/runtime.c).
SWIFT_EMBEDDED_KERNEL := $(SWIFT_EMBEDDED_COMMON) -Xfrontend -enable-stack-protector

# Shared modules in dependency order: each is compiled on its own, exactly as the host sees it.
EMBEDDED_MODULES := MemoryCore KernelLog PhysicalMemory BuddyHeap SlabHeap PageTables UserMalloc ProgramLoader UserAllocators Syscalls BootOptions

EMB := $(BUILD)/embedded

define embedded_module
$(EMB)/$(1).o: $$(wildcard Sources/$(1)/*.swift) $(2) | $(EMB)
	swiftc $$(SWIFT_EMBEDDED) -module-name $(1) -I $(EMB) -emit-module \
	  -emit-module-path $(EMB)/$(1).swiftmodule -c $$(wildcard Sources/$(1)/*.swift) -o $$@
	@touch $$@  # swiftc keeps an unchanged .o's time, but generic code lives in the .swiftmodule
endef

$(EMB):
	@mkdir -p $@

$(EMB)/MemoryCore.o: $(wildcard Sources/MemoryCore/*.swift)
$(eval $(call embedded_module,MemoryCore,))
$(eval $(call embedded_module,KernelLog,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,PhysicalMemory,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,BuddyHeap,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,SlabHeap,$(EMB)/MemoryCore.o $(EMB)/BuddyHeap.o))
$(eval $(call embedded_module,PageTables,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,UserMalloc,$(EMB)/MemoryCore.o))
$(eval $(call embedded_module,ProgramLoader,$(EMB)/MemoryCore.o $(EMB)/PageTables.o))
$(eval $(call embedded_module,Syscalls,$(EMB)/MemoryCore.o $(EMB)/PageTables.o $(EMB)/MemoryObjects.o))
$(eval $(call embedded_module,UserAllocators,$(EMB)/MemoryCore.o $(EMB)/UserMalloc.o))
$(eval $(call embedded_module,BootOptions,$(EMB)/KernelLog.o))
EMBEDDED_MODULES += Scheduling
$(eval $(call embedded_module,Scheduling,))
EMBEDDED_MODULES += MemoryObjects
$(eval $(call embedded_module,MemoryObjects,$(EMB)/MemoryCore.o))

EMBEDDED_OBJECTS := $(foreach m,$(EMBEDDED_MODULES),$(EMB)/$(m).o)

## embedded-modules: compile every shared module in Embedded Swift (part of `make test`)
embedded-modules: $(EMBEDDED_OBJECTS)

.PHONY: embedded-modules

# ---- The kernel image ---------------------------------------------------------------------------
NASM    := nasm
CLANG   := $(TC)/bin/clang
LLD     := $(TC)/bin/ld.lld
OBJCOPY := objcopy
BUILTINS := $(firstword $(wildcard $(TC)/lib/clang/*/lib/linux/libclang_rt.builtins-x86_64.a))
UNICODE_TABLES := $(TC)/lib/swift/embedded/x86_64-unknown-none-elf/libswiftUnicodeDataTables.a

KERNEL_SWIFT  := $(shell find Kernel -name '*.swift' -not -path 'Kernel/SelfTest/*' | sort)
SELFTEST_SWIFT := $(shell find Kernel/SelfTest -name '*.swift' 2>/dev/null | sort)
BOOT_ASM      := $(wildcard boot/*.asm)
KB := $(BUILD)/kernel

CFLAGS_KERNEL := --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib -O2 \
  -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -fno-pic -fno-stack-protector -Wall -Werror

$(KB):
	@mkdir -p $@

$(KB)/%.o: boot/%.asm boot/registers.inc boot/random-seed.inc | $(KB) tools
	$(NASM) -f elf64 -g -F dwarf -o $@ $<

$(KB)/%.o: Kernel/Runtime/%.c | $(KB)
	$(CLANG) $(CFLAGS_KERNEL) -c $< -o $@

# The kernel module: all of Kernel/ in one whole-module compile, importing the shared modules.
$(KB)/Kernel.o: $(KERNEL_SWIFT) $(EMBEDDED_OBJECTS) | $(KB)
	swiftc $(SWIFT_EMBEDDED_KERNEL) -g -module-name Kernel -I $(EMB) -c $(KERNEL_SWIFT) -o $@

$(KB)/KernelSelfTest.o: $(KERNEL_SWIFT) $(SELFTEST_SWIFT) $(EMBEDDED_OBJECTS) | $(KB)
	swiftc $(SWIFT_EMBEDDED_KERNEL) -g -D KERNEL_SELFTEST -module-name Kernel -I $(EMB) -c $(KERNEL_SWIFT) $(SELFTEST_SWIFT) -o $@

# The checks build: every allocator's checkInvariants() after every change (Kernel/Checks).
$(KB)/KernelChecks.o: $(KERNEL_SWIFT) $(EMBEDDED_OBJECTS) | $(KB)
	swiftc $(SWIFT_EMBEDDED_KERNEL) -g -D SWIFTMM_CHECKS -module-name Kernel -I $(EMB) -c $(KERNEL_SWIFT) -o $@

BOOT_OBJECTS := $(patsubst boot/%.asm,$(KB)/%.o,$(BOOT_ASM)) $(KB)/runtime.o $(KB)/freestanding.o

# kernel.elf (ELF64, with symbols: give it to gdb) -> kernel.bin (ELF32 copy QEMU's multiboot loads).
$(KB)/%.elf: $(KB)/%.o $(BOOT_OBJECTS) boot/linker.ld
	$(LLD) -n -T boot/linker.ld --gc-sections -o $@ $(BOOT_OBJECTS) $< $(EMBEDDED_OBJECTS) $(UNICODE_TABLES) $(BUILTINS)

$(KB)/%.bin: $(KB)/%.elf
	$(OBJCOPY) -O elf32-i386 $< $@

KERNEL := $(KB)/Kernel.bin
TEST_KERNEL := $(KB)/KernelSelfTest.bin
CHECKS_KERNEL := $(KB)/KernelChecks.bin

## kernel: build the bootable image (build/kernel/Kernel.bin)
kernel: $(KERNEL)

## stack-check: no kernel function's stack frame over 8 KiB (a process's kernel stack is 64 KiB),
## boot-only ones within their own listed budgets (tools/stack-check.py; part of `make test`).
## Reads the 64-bit .elf of each kernel: the .bin is a 32-bit copy objdump would decode as i386.
STACK_CHECK_ELFS := $(KERNEL:.bin=.elf) $(TEST_KERNEL:.bin=.elf) $(CHECKS_KERNEL:.bin=.elf)
stack-check: $(STACK_CHECK_ELFS)
	$(call ensure_packages,python3:/usr/bin/python3)
	tools/stack-check.py $^

# ---- Running in QEMU ----------------------------------------------------------------------------
MEM ?= 128M
LOG ?= info
QEMU_FLAGS ?=
QEMU := qemu-system-x86_64
QEMU_BASE = -m $(MEM) -serial stdio -display none -no-reboot -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04

# User programs given to the kernel as multiboot modules (-initrd "a.elf,b.elf"); PROGRAMS= picks.
PROGRAMS ?= $(DEFAULT_PROGRAMS)
comma := ,
empty :=
space := $(empty) $(empty)
PROGRAM_ELFS = $(foreach p,$(PROGRAMS),$(UB)/$(p).elf)
INITRD = $(if $(strip $(PROGRAMS)),-initrd "$(subst $(space),$(comma),$(strip $(PROGRAM_ELFS)))")

## run: boot the kernel in QEMU; exit status 0 when every check the kernel made passed
## (BOOT=kernel: QEMU's multiboot loader; BOOT=iso: the GRUB ISO with SeaBIOS; BOOT=uefi: with OVMF).
## The serial log is shown here and saved to $(RUN_LOG) (`make report` reads it).
BOOT ?= kernel
ifeq ($(filter kernel iso uefi,$(BOOT)),)
$(error BOOT=$(BOOT): use BOOT=kernel (QEMU -kernel), BOOT=iso (GRUB ISO, BIOS) or BOOT=uefi (GRUB ISO, UEFI))
endif
RUN_LOG := $(BUILD)/logs/last-run.log
BOOT_FLAGS_kernel = -kernel $(KERNEL) -append "log=$(LOG)$(if $(MONITOR), monitor)" $(INITRD)
BOOT_FLAGS_iso = -cdrom $(ISO) -boot d
BOOT_FLAGS_uefi = $$(boot/grub/ovmf-flags.sh $(OVMF_VARS)) -cdrom $(ISO)
.SECONDEXPANSION:
run: $(if $(filter kernel,$(BOOT)),$(KERNEL) $$(PROGRAM_ELFS),iso $(if $(filter uefi,$(BOOT)),ovmf)) | tools
	@mkdir -p $(dir $(RUN_LOG))
	@$(QEMU) $(QEMU_BASE) $(BOOT_FLAGS_$(BOOT)) $(QEMU_FLAGS) | tee $(RUN_LOG); \
	  status=$${PIPESTATUS[0]}; [ $$status -eq 33 ] && exit 0; echo "make run: kernel reported failure (QEMU status $$status)"; exit 1

## monitor: boot to the live monitor's `mm>` prompt (Kernel/Monitor; `help` lists the commands,
## `run NAME` runs one of PROGRAMS, `quit` prints the summary and powers off)
monitor:
	@$(MAKE) --no-print-directory run MONITOR=1

## debug: boot with QEMU waiting for gdb on :1234 (see README for the gdb line)
debug: $(KERNEL) $$(PROGRAM_ELFS) | tools
	$(QEMU) $(QEMU_BASE) -kernel $(KERNEL) -append "log=$(LOG)" $(INITRD) -s -S $(QEMU_FLAGS)

# ---- Tools: installed on first use on Debian, or one clear sentence ------------------------------
## tools: install nasm and qemu-system-x86 when missing
tools:
	@missing=""; command -v $(NASM) >/dev/null || missing="$$missing nasm"; \
	command -v $(QEMU) >/dev/null || missing="$$missing qemu-system-x86"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	      { echo "Could not install$$missing with apt-get: please install them (apt-get install$$missing) and retry."; exit 1; }; \
	  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then \
	    echo "installing (sudo):$$missing"; \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
	      { echo "Could not install$$missing: please run 'sudo apt-get install$$missing' and retry."; exit 1; }; \
	  else echo "SwiftMM needs$$missing: please install them with your package manager and retry."; exit 1; fi; \
	fi
	@command -v swiftc >/dev/null || { echo "SwiftMM needs the Swift toolchain (6.3 or later) on PATH: install it from swift.org and retry."; exit 1; }

.PHONY: kernel stack-check run monitor debug tools

# ---- The bootable ISO: GRUB for BIOS and UEFI (README "Booting a real PC") -----------------------
# Debian packages, installed on first use (apt-get as root, sudo otherwise, else one sentence).
# Usage: $(call ensure_packages,PACKAGE:FILE-IT-PROVIDES ...)
define ensure_packages
	@missing=""; for pair in $(1); do [ -e "$${pair#*:}" ] || missing="$$missing $${pair%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then sudo=sudo; \
	  else echo "SwiftMM needs$$missing: please install them with your package manager and retry."; exit 1; fi; \
	  echo "installing:$$missing"; \
	  ($$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	    { echo "Could not install$$missing with apt-get: please run 'apt-get install$$missing' and retry."; exit 1; }; \
	fi
endef
ISO_PACKAGES := grub-common:/usr/bin/grub-mkrescue grub-pc-bin:/usr/lib/grub/i386-pc/multiboot2.mod \
  grub-efi-amd64-bin:/usr/lib/grub/x86_64-efi/multiboot2.mod xorriso:/usr/bin/xorriso mtools:/usr/bin/mformat
ISO := $(BUILD)/swiftmm.iso
OVMF_VARS := $(BUILD)/ovmf-vars.fd
GRUB_TIMEOUT ?= 3
GRUB_DEFAULT ?= 0

## iso: build/swiftmm.iso, bootable from CD or USB stick on BIOS and UEFI PCs (GRUB menu on COM1).
## The first menu entry boots PROGRAMS= with LOG=; the others: log=trace, every program, self-test,
## multiboot1. GRUB_DEFAULT=n picks the entry booted when the menu times out (GRUB_TIMEOUT=s).
iso: $(KERNEL) $(TEST_KERNEL) $$(PROGRAM_ELFS) $$(USER_ELFS) | tools
	$(call ensure_packages,$(ISO_PACKAGES))
	@boot/grub/make-iso.sh $(ISO) $(BUILD)/iso $(KERNEL) $(TEST_KERNEL) $(LOG) "$(PROGRAM_ELFS)" \
	  "$(foreach p,$(DEFAULT_PROGRAMS),$(UB)/$(p).elf)" "$(USER_ELFS)" $(GRUB_TIMEOUT) $(GRUB_DEFAULT)

## ovmf: the UEFI firmware for QEMU (Debian's ovmf) and a private copy of its variable store
ovmf:
	$(call ensure_packages,ovmf:/usr/share/OVMF)
	@boot/grub/ovmf-flags.sh $(OVMF_VARS) >/dev/null

.PHONY: iso ovmf
.PRECIOUS: $(KB)/%.o $(KB)/%.elf

# ---- Tests ---------------------------------------------------------------------------------------
## test: host tests, the embedded compile of every shared module, the in-kernel test suite in
## QEMU and boots of the normal kernel at 32M, 128M, 1G and 6G with their summaries checked,
## then the GRUB ISO booted with SeaBIOS (128M) and OVMF (6G)
test: tools
	$(MAKE) --no-print-directory lint
	swift test
	$(MAKE) --no-print-directory report-test
	$(MAKE) --no-print-directory user-test
	$(MAKE) --no-print-directory libswiftmm-test
	$(MAKE) --no-print-directory tracer-test
	$(MAKE) --no-print-directory asan-test fuzz-test
	$(MAKE) --no-print-directory embedded-modules $(KERNEL) $(TEST_KERNEL) $(CHECKS_KERNEL) user-programs user-check
	$(MAKE) --no-print-directory stack-check
	Tests/qemu/run-all.sh $(TEST_KERNEL) $(KERNEL) $(BUILD)/qemu-logs \
	  "$(strip $(foreach p,$(DEFAULT_PROGRAMS),$(UB)/$(p).elf))" "$(strip $(foreach p,$(TEST_PROGRAMS),$(UB)/$(p).elf))" \
	  $(CHECKS_KERNEL)
	$(MAKE) --no-print-directory iso ovmf PROGRAMS="$(DEFAULT_PROGRAMS)" LOG=info
	Tests/qemu/run-iso.sh $(ISO) $(BUILD)/qemu-logs "$(DEFAULT_PROGRAMS)"
	Tests/qemu/check-monitor.sh $(KERNEL) "$(UB)/hello.elf $(UB)/memtest.elf $(UB)/cpu_hog.elf" $(BUILD)/qemu-logs

# ---- Reading a run: mmlog (Sources/mmlog, Sources/MMLogKit; docs/log-format.md) ---------------
REPORT_DIR := $(BUILD)/report
## report: the last `make run`'s serial log ($(RUN_LOG)) as a text report, a self-contained HTML
## page and a Perfetto trace, in build/report/ (LOG=trace gives every figure)
report:
	@[ -s $(RUN_LOG) ] || { echo "make report: no $(RUN_LOG) yet: run 'make run LOG=trace' first"; exit 1; }
	swift build -c release --product mmlog
	$$(swift build -c release --show-bin-path)/mmlog $(RUN_LOG) --out $(REPORT_DIR)

## report-test: the report page opened in headless Chromium (installed when missing): its script
## runs, the DOM shows the run's figures, a screenshot is taken (build/report-test/)
report-test:
	$(call ensure_packages,chromium:/usr/bin/chromium)
	swift build --product mmlog
	Tests/report/check-html.sh $$(swift build --show-bin-path)/mmlog \
	  Tests/MMLogKitTests/Fixtures/trace-hello-32M.log $(BUILD)/report-test

.PHONY: report report-test

# ---- Benchmarks ----------------------------------------------------------------------------------
BENCH_PEERS := libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 xz-utils
## bench: host benchmarks in release mode (FILTER=frame|buddy|malloc|ladder picks a group). jemalloc,
## loaded with dlopen, needs room in glibc's static TLS block: hence GLIBC_TUNABLES.
bench:
	@missing=""; for p in $(BENCH_PEERS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing benchmark peers:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	    echo "could not install$$missing: those peers are skipped"; \
	fi
	swift build -c release --product SwiftMMBench
	GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 $$(swift build -c release --show-bin-path)/SwiftMMBench $(FILTER)

.PHONY: test bench

# ---- Malloc tracer (tools/malloc-tracer; the recorded traces: traces/README.md) -------------------
TRACER := $(BUILD)/malloc-tracer/malloc-tracer.so
$(TRACER): tools/malloc-tracer/malloc-tracer.c
	@Library/RealWorld/ensure-packages.sh gcc
	@mkdir -p $(dir $@)
	gcc -O2 -fPIC -shared -Wall -Wextra -Werror -o $@ $< -ldl -lpthread
## tracer: build the LD_PRELOAD malloc tracer (SWIFTMM_TRACE=PREFIX LD_PRELOAD=build/malloc-tracer/malloc-tracer.so CMD)
tracer: $(TRACER)
## tracer-test: trace a test program's known heap calls and compare the recorded lines (part of `make test`)
tracer-test: $(TRACER)
	tools/malloc-tracer/tracer-test.sh $(TRACER) $(BUILD)/malloc-tracer/test
## traces: re-record the real-program traces in traces/ (TRACES="perl-concordance git-log" picks some)
traces: $(TRACER)
	@Library/RealWorld/ensure-packages.sh perl python3 gcc git xz-utils sqlite3 jq mawk
	tools/malloc-tracer/record-traces.sh $(TRACER) $(TRACES)

.PHONY: tracer tracer-test traces

# ---- User programs (User/; ABI in docs/syscalls.md) -----------------------------------------------
# Each program is one Embedded Swift module: User/Programs/NAME/*.swift plus the runtime's Swift
# files, importing the shared modules it needs from $(EMB); linked with the runtime's asm and C
# objects into a static ELF64 executable at 0x0000008000400000 (User/user.ld).
## user-programs: build every user program as build/user/NAME.elf
## user-check: check every ELF's header and segments (ET_EXEC, x86-64, W^X, user-space vaddrs)
## user-test: host tests of the user runtime (syscall wrappers, page source) against a fake kernel
USER_PROGRAMS := hello memtest bad_pointer write_rodata exec_data stack_overflow kernel_jump \
  no_unmap syscall_fuzz malloc_demo larson malloc_hostile_double_free malloc_hostile_foreign_free \
  malloc_hostile_interior_free syscall_cost cpu_hog sh6bench ladder
# Issue 12's hostile programs: dirty RFLAGS and x87/SSE state (fpu_check must run after fpu_dirty),
# a forged heap slot, a program that burns its CPU time in syscalls.
USER_PROGRAMS += rflags_dirty fpu_dirty fpu_check malloc_hostile_forged_free syscall_hog map_layout stack_jump
# Issue 8 (memory): demand paging, strict commit, a touch of reserved-but-protected memory, the fault-cost benchmark.
USER_PROGRAMS += sparse_touch commit_hog commit_brk_hog protected_touch demand_cost
# Issue 8's processes: a parent waiting for its children, a child's fault and a killed parent's
# orphans, a hostile spawn loop, the context-switch benchmark and its partner.
USER_PROGRAMS += spawn_wait spawn_kill spawn_loop switch_cost yield_partner
# remap (issue 10): the remap call and UserMalloc's large realloc over it.
USER_PROGRAMS += remap
# heap_churn (round 13): the page source's placement keeps a long-lived heap's granule map one page.
USER_PROGRAMS += heap_churn
# Issue 9 (memory objects): producer/consumer on a shared ring, a zero-copy 4 MiB transfer, a CoW
# snapshot, the hostile calls, a parent killed while its child maps their object. The second of
# each pair is spawned by the first with handles (started alone at boot, it says so and exits 0).
OBJECT_PROGRAMS := ring_producer ring_consumer zero_copy_sender zero_copy_receiver cow_snapshot \
  object_hostile object_hostile_peer object_ro_write object_orphan_parent object_orphan_child
USER_PROGRAMS += $(OBJECT_PROGRAMS)
# Hostile instruction probes: one Swift object (User/Programs/fault_probe), one ELF per probe in
# User/Runtime/cpu.asm (build/user/fault_NAME.elf runs probe_NAME); expectations.txt names each.
FAULT_PROBES := int3 int4 int80 ud2 divide hlt cli in out cr3 wrmsr dirty_flags_fault tf_syscall
FAULT_PROBE_PROGRAMS := $(foreach p,$(FAULT_PROBES),fault_$(p))
# hello linked inside the stack's guard gap: the loader must refuse it by
# its own reason (expectations.txt: rejected=segment-outside-user-space).
LOADER_HOSTILE_PROGRAMS := loader_stack_gap
# For the kernel's `make run` and `make test` (expected outcomes: User/Programs/expectations.txt).
DEFAULT_PROGRAMS := hello memtest malloc_demo larson sh6bench syscall_cost ladder
DEFAULT_PROGRAMS += demand_cost
DEFAULT_PROGRAMS += spawn_wait switch_cost yield_partner
TEST_PROGRAMS := $(USER_PROGRAMS) $(FAULT_PROBE_PROGRAMS) $(LOADER_HOSTILE_PROGRAMS)

UB := $(BUILD)/user
USER_RUNTIME_SWIFT := $(sort $(wildcard User/Runtime/Syscalls/*.swift User/Runtime/Support/*.swift))
USER_SHARED_MODULES := MemoryCore KernelLog UserMalloc UserAllocators PageTables MemoryObjects Syscalls
USER_SHARED_OBJECTS := $(foreach m,$(USER_SHARED_MODULES),$(EMB)/$(m).o)
USER_RUNTIME_OBJECTS := $(UB)/runtime/start.o $(UB)/runtime/syscall.o $(UB)/runtime/cycles.o $(UB)/runtime/runtime.o \
  $(UB)/runtime/freestanding.o $(UB)/runtime/cpu.o
USER_ELFS := $(foreach p,$(USER_PROGRAMS) $(FAULT_PROBE_PROGRAMS) $(LOADER_HOSTILE_PROGRAMS),$(UB)/$(p).elf)
# The kernel's C flags (no SSE: user code never touches SSE state), except -fpie: programs live
# above 4 GiB, out of reach of the small code model's absolute 32-bit addresses, so C code
# addresses its data RIP-relative (as swiftc already does). The link itself is not PIE.
CFLAGS_USER := --target=x86_64-unknown-none-elf -ffreestanding -fno-builtin -nostdlib -O2 \
  -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -fpie -fno-stack-protector -Wall -Werror
LDFLAGS_USER := -static --no-pie -nostdlib -z max-page-size=4096 -z norelro --gc-sections \
  -T User/user.ld

$(UB)/runtime:
	@mkdir -p $@

$(UB)/runtime/%.o: User/Runtime/%.asm boot/random-seed.inc | $(UB)/runtime tools
	$(NASM) -f elf64 -o $@ $<

$(UB)/runtime/runtime.o: User/Runtime/runtime.c | $(UB)/runtime
	$(CLANG) $(CFLAGS_USER) -c $< -o $@

# The kernel's freestanding memory routines, built with the user flags.
$(UB)/runtime/freestanding.o: Kernel/Runtime/freestanding.c | $(UB)/runtime
	$(CLANG) $(CFLAGS_USER) -c $< -o $@

define user_program
$(UB)/$(1).o: $$(wildcard User/Programs/$(1)/*.swift) $$(USER_RUNTIME_SWIFT) $$(USER_SHARED_OBJECTS) | $(UB)/runtime
	swiftc $$(SWIFT_EMBEDDED) -module-name $(1) -I $(EMB) -c $$(wildcard User/Programs/$(1)/*.swift) \
	  $$(USER_RUNTIME_SWIFT) -o $$@
endef
$(foreach p,$(USER_PROGRAMS) fault_probe,$(eval $(call user_program,$(p))))

# loader_stack_gap: hello's object linked at 0x00007EFFFFF00000, inside the stack's guard gap.
$(UB)/loader_stack_gap.ld: User/user.ld | $(UB)/runtime
	sed 's/^    \. = 0x0000008000400000;$$/    . = 0x00007EFFFFF00000;/' $< >$@
$(UB)/loader_stack_gap.elf: $(UB)/hello.o $(USER_RUNTIME_OBJECTS) $(USER_SHARED_OBJECTS) $(UB)/loader_stack_gap.ld
	$(LLD) $(filter-out -T User/user.ld,$(LDFLAGS_USER)) -T $(UB)/loader_stack_gap.ld -o $@ $(USER_RUNTIME_OBJECTS) $< \
	  $(USER_SHARED_OBJECTS) $(UNICODE_TABLES) $(BUILTINS)

# A probe ELF: fault_probe's object with `hostile_probe` bound to the probe (shorter stem: this
# rule wins over the generic one below).
$(UB)/fault_%.elf: $(UB)/fault_probe.o $(USER_RUNTIME_OBJECTS) $(USER_SHARED_OBJECTS) User/user.ld
	$(LLD) $(LDFLAGS_USER) --defsym=hostile_probe=probe_$* -o $@ $(USER_RUNTIME_OBJECTS) $< $(USER_SHARED_OBJECTS) \
	  $(UNICODE_TABLES) $(BUILTINS)

$(UB)/%.elf: $(UB)/%.o $(USER_RUNTIME_OBJECTS) $(USER_SHARED_OBJECTS) User/user.ld
	$(LLD) $(LDFLAGS_USER) -o $@ $(USER_RUNTIME_OBJECTS) $< $(USER_SHARED_OBJECTS) $(UNICODE_TABLES) $(BUILTINS)

user-programs: $(USER_ELFS)

user-check: $(USER_ELFS)
	User/Tools/check-elf.sh $(USER_ELFS)

user-test:
	swift test --package-path User --scratch-path .build-user

.PHONY: user-programs user-check user-test
.PRECIOUS: $(UB)/%.o $(UB)/runtime/%.o

# ---- libswiftmm.so: UserMalloc as the C malloc of Linux programs (Library/; README "libswiftmm") --
# The same Sources/UserMalloc (and MemoryCore) compiled in Embedded Swift for the Linux target:
# no Swift runtime library to load, nothing that calls malloc at start-up. Library/Source holds
# the host-only glue (the C exports and lock, the mmap page source). The link keeps only the C
# allocation API visible (exports.map) and fails if the .so needs any symbol outside the list of
# libc calls below (LIBSWIFTMM_ALLOWED_UNDEFINED): above all, never malloc or free of its own.
LIB := $(BUILD)/libswiftmm
LIBSWIFTMM := $(LIB)/libswiftmm.so
SWIFT_LIBRARY := -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -target x86_64-unknown-linux-gnu -wmo -parse-as-library -O -Xfrontend -function-sections -Xcc -fPIC
CFLAGS_LIBRARY := -O2 -fPIC -fvisibility=hidden -ffunction-sections -Wall -Wextra -Werror
LIBSWIFTMM_ALLOWED_UNDEFINED := abort close getauxval getenv getpagesize getpid memcpy memmove memset mremap \
  mmap munmap open strlen write pthread_mutex_lock pthread_mutex_trylock pthread_mutex_unlock \
  __register_atfork __errno_location __stack_chk_fail
LIB_SWIFT := $(sort $(wildcard Library/Source/*.swift))

$(LIB):
	@mkdir -p $@

$(LIB)/MemoryCore.o: $(wildcard Sources/MemoryCore/*.swift) | $(LIB)
	swiftc $(SWIFT_LIBRARY) -module-name MemoryCore -emit-module -emit-module-path $(LIB)/MemoryCore.swiftmodule \
	  -c $(wildcard Sources/MemoryCore/*.swift) -o $@

$(LIB)/UserMalloc.o: $(wildcard Sources/UserMalloc/*.swift) $(LIB)/MemoryCore.o
	swiftc $(SWIFT_LIBRARY) -module-name UserMalloc -I $(LIB) -emit-module -emit-module-path $(LIB)/UserMalloc.swiftmodule \
	  -c $(wildcard Sources/UserMalloc/*.swift) -o $@

$(LIB)/ProcessHeap.o: $(LIB_SWIFT) $(LIB)/UserMalloc.o
	swiftc $(SWIFT_LIBRARY) -module-name LibSwiftMM -I $(LIB) -c $(LIB_SWIFT) -o $@

$(LIB)/Exports.o: Library/Source/Exports.c | $(LIB)
	$(CLANG) $(CFLAGS_LIBRARY) -c $< -o $@

$(LIBSWIFTMM): $(LIB)/Exports.o $(LIB)/ProcessHeap.o $(LIB)/UserMalloc.o $(LIB)/MemoryCore.o Library/Source/exports.map
	$(CLANG) -shared -fuse-ld=lld -Wl,--gc-sections -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined \
	  -Wl,--version-script=Library/Source/exports.map -o $@.tmp $(filter %.o,$^)
	@undefined=$$(nm -D --undefined-only $@.tmp | awk '$$1 == "U" {print $$2}' | sed 's/@.*//' | sort -u); \
	for s in $$undefined; do case " $(LIBSWIFTMM_ALLOWED_UNDEFINED) " in *" $$s "*) ;; \
	  *) echo "libswiftmm: unexpected undefined symbol $$s (the library must not depend on it)"; rm -f $@.tmp; exit 1;; esac; done
	@mv $@.tmp $@
	@echo "built $@ (needs from libc: $$(nm -D --undefined-only $@ | awk '$$1 == "U" {print $$2}' | sed 's/@.*//' | sort -u | tr '\n' ' '))"

## libswiftmm: build build/libswiftmm/libswiftmm.so (LD_PRELOAD it under any Linux program)
libswiftmm: $(LIBSWIFTMM)

.PHONY: libswiftmm

# The library's own tests, then the short real-program subset (python3 -m test modules, sqlite3,
# perl, gcc, g++, git: same outcome under glibc and libswiftmm). Part of `make test`.
LIBSWIFTMM_PACKAGES := python3 python3-testsuite sqlite3 perl gcc g++ git
## libswiftmm-test: the library's C tests and the short real-program subset (README "libswiftmm")
libswiftmm-test: $(LIBSWIFTMM)
	@Library/RealWorld/ensure-packages.sh $(LIBSWIFTMM_PACKAGES)
	Library/Tests/run-tests.sh $(LIBSWIFTMM) $(LIB)/tests
	Library/RealWorld/realworld.sh short $(LIBSWIFTMM) $(LIB)/realworld-short

## realworld: the full real-program suites, then the real-program benchmark against glibc,
## jemalloc, mimalloc and tcmalloc (RUNS=n runs per program and allocator, default 5)
RUNS ?= 5
realworld: $(LIBSWIFTMM)
	@Library/RealWorld/ensure-packages.sh $(LIBSWIFTMM_PACKAGES) time $(BENCH_PEERS)
	Library/Tests/run-tests.sh $(LIBSWIFTMM) $(LIB)/tests
	Library/RealWorld/realworld.sh full $(LIBSWIFTMM) $(LIB)/realworld-full
	Library/RealWorld/realworld.sh bench $(LIBSWIFTMM) $(LIB)/realworld-bench $(RUNS)

.PHONY: libswiftmm-test realworld
# ---- Fuzzing: libFuzzer + AddressSanitizer on the host (Tests/Fuzz, README "Fuzzing") ------------
# Every shared module is compiled once with coverage instrumentation and ASan into $(FUZZ)/modules,
# then each target (Tests/Fuzz/Targets/NAME.swift) links against them into its own binary.
#   make fuzz            each target for FUZZ_SECONDS (new inputs kept in build/fuzz/corpus/NAME)
#   make fuzz-test       each target for FUZZ_TEST_SECONDS from its committed corpus (part of make test)
#   make fuzz-merge      minimise build/fuzz/corpus + Tests/Fuzz/Corpus into Tests/Fuzz/Corpus (-merge=1)
#   build/fuzz/NAME FILE replays one input (e.g. a crash left in build/fuzz/crashes/)
FUZZ := $(BUILD)/fuzz
FUZZ_MODULES := MemoryCore KernelLog PhysicalMemory BuddyHeap PageTables UserMalloc ProgramLoader TestSupport
FUZZ_TARGETS := multiboot elf syscall frames buddy userheap pagetables
# The command-line parser's target exists once its module (Sources/BootOptions) is in the tree.
FUZZ_MODULES += $(if $(wildcard Sources/BootOptions),BootOptions)
FUZZ_TARGETS += $(if $(wildcard Sources/BootOptions),cmdline)
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 5
SWIFT_FUZZ := -sanitize=fuzzer,address -O -g -parse-as-library -wmo -I $(FUZZ)/modules
FUZZ_OBJECTS := $(foreach m,$(FUZZ_MODULES),$(FUZZ)/modules/$(m).o)

$(FUZZ)/modules:
	@mkdir -p $@

# Modules in dependency order; each waits for the one before it (2 cores: no gain in parallel).
define fuzz_module
$(FUZZ)/modules/$(1).o: $$(wildcard $(2)/*.swift) $(3) | $(FUZZ)/modules
	swiftc $$(SWIFT_FUZZ) -module-name $(1) -emit-module -emit-module-path $(FUZZ)/modules/$(1).swiftmodule \
	  -c $$(wildcard $(2)/*.swift) -o $$@
endef
$(eval $(call fuzz_module,MemoryCore,Sources/MemoryCore,))
$(eval $(call fuzz_module,KernelLog,Sources/KernelLog,$(FUZZ)/modules/MemoryCore.o))
$(eval $(call fuzz_module,PhysicalMemory,Sources/PhysicalMemory,$(FUZZ)/modules/KernelLog.o))
$(eval $(call fuzz_module,BuddyHeap,Sources/BuddyHeap,$(FUZZ)/modules/PhysicalMemory.o))
$(eval $(call fuzz_module,PageTables,Sources/PageTables,$(FUZZ)/modules/BuddyHeap.o))
$(eval $(call fuzz_module,UserMalloc,Sources/UserMalloc,$(FUZZ)/modules/PageTables.o))
$(eval $(call fuzz_module,ProgramLoader,Sources/ProgramLoader,$(FUZZ)/modules/UserMalloc.o))
$(eval $(call fuzz_module,TestSupport,Tests/TestSupport,$(FUZZ)/modules/ProgramLoader.o))
$(eval $(call fuzz_module,BootOptions,Sources/BootOptions,$(FUZZ)/modules/KernelLog.o))

$(FUZZ)/%: Tests/Fuzz/Targets/%.swift Tests/Fuzz/FuzzCheck.swift $(FUZZ_OBJECTS)
	swiftc $(SWIFT_FUZZ) -module-name fuzz_$* $< Tests/Fuzz/FuzzCheck.swift $(FUZZ_OBJECTS) -o $@ 2> >(grep -v 'Cannot export local symbol' >&2)

## fuzz-targets: build every fuzz target (build/fuzz/NAME)
fuzz-targets: $(foreach t,$(FUZZ_TARGETS),$(FUZZ)/$(t))

## fuzz-test: every target for FUZZ_TEST_SECONDS, one line each: fuzz target=NAME runs=N crashes=0 ...
fuzz-test: fuzz-targets
	@status=0; for t in $(FUZZ_TARGETS); do Tests/Fuzz/run-target.sh $(FUZZ) $$t $(FUZZ_TEST_SECONDS) || status=1; done; exit $$status

## fuzz: every target for FUZZ_SECONDS (default 300) each
fuzz: fuzz-targets
	@status=0; for t in $(FUZZ_TARGETS); do Tests/Fuzz/run-target.sh $(FUZZ) $$t $(FUZZ_SECONDS) || status=1; done; exit $$status

## fuzz-merge: minimise the committed corpora together with what `make fuzz` found
fuzz-merge: fuzz-targets
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ)/merged/$$t $(FUZZ)/corpus/$$t && rm -f $(FUZZ)/merged/$$t/*; \
	  $(FUZZ)/$$t -merge=1 $(FUZZ)/merged/$$t Tests/Fuzz/Corpus/$$t $(FUZZ)/corpus/$$t > $(FUZZ)/merge-$$t.log 2>&1 || exit 1; \
	  rm -rf Tests/Fuzz/Corpus/$$t && mv $(FUZZ)/merged/$$t Tests/Fuzz/Corpus/$$t; \
	  echo "fuzz-merge target=$$t files=$$(ls Tests/Fuzz/Corpus/$$t | wc -l) bytes=$$(cat Tests/Fuzz/Corpus/$$t/* | wc -c)"; \
	done

## asan-test: the whole host suite under AddressSanitizer and LeakSanitizer (scratch path .build-asan)
asan-test:
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt swift test --sanitize=address --scratch-path .build-asan

.PHONY: fuzz fuzz-test fuzz-targets fuzz-merge asan-test
.PRECIOUS: $(FUZZ)/modules/%.o

# ---- Formatting and help ---------------------------------------------------------------------------
## lint: check the Swift sources against .swift-format (swift format ships with the toolchain)
lint:
	swift format lint --strict --recursive --parallel Sources Tests Kernel User

## help: list these targets
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, a, ": "); printf "  %-17s %s\n", a[1], substr($$0, length(a[1]) + 3); next } \
	  /^## / { sub(/^## /, ""); printf "  %-17s %s\n", "", $$0 }' $(MAKEFILE_LIST)

.PHONY: lint help

# Guest programs (RISC-V ELFs) for Amber's tests and benchmarks.
# Included by Makefile.in; sources under $(srcdir)/tests/guest, outputs
# under tests/guest/ in the build directory (out-of-tree safe).

G_SRC   := $(srcdir)/tests/guest
# Absolute output paths: Makefile.in sets VPATH = $(srcdir), and relative
# targets would be "found" in an in-tree build's srcdir and never rebuilt.
G_OUT   := $(CURDIR)/tests/guest
G_CC    := $(CROSS)gcc
G_ARCH  := -misa-spec=2.2 -march=rv64imac -mabi=lp64 -mcmodel=medany
G_CFLAGS := $(G_ARCH) -O2 -g -Wall -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -I$(G_SRC)/common
G_LDFLAGS := -nostdlib -nostartfiles -T $(G_SRC)/common/link.ld -Wl,--no-warn-rwx-segments
G_COMMON := $(G_SRC)/common/crt0.S $(G_SRC)/common/fmt.c
G_TEST   := $(G_COMMON) $(G_SRC)/common/test.c $(G_SRC)/common/harness.S
G_HDRS   := $(wildcard $(G_SRC)/common/*.h) $(G_SRC)/common/link.ld $(G_SRC)/guest.mk
G_PICO   := $(G_ARCH) -O2 -g --specs=picolibc.specs --crt0=hosted \
	-Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x100000 \
	-Wl,--defsym=__ram=0x80100000 -Wl,--defsym=__ram_size=0x100000

# Short benchmark for tests (~78 M instructions; long ~3.2 G), long one for make bench.
RVBENCH_SHORT ?= 120
RVBENCH_LONG  ?= 5000

ISA_PROGS := rv64i rv64m rv64a rvc priv vm irq smc rv64fd rv64b
GUEST_ISA := $(patsubst %,$(G_OUT)/isa/isa-%.elf,$(ISA_PROGS))
GUEST_ELFS += $(G_OUT)/hello/hello.elf $(G_OUT)/hello/hello42.elf \
	$(G_OUT)/demo/demo.elf $(G_OUT)/demo/demo-ticks.elf \
	$(GUEST_ISA) \
	$(G_OUT)/bench/rvbench-short.elf $(G_OUT)/bench/rvbench.elf \
	$(G_OUT)/virtio/virtio-blk.elf \
	$(G_OUT)/snapshot/snap-guest.elf $(G_OUT)/snapshot/snap-touch.elf \
	$(G_OUT)/snapshot/snap-long.elf \
	$(G_OUT)/log/log-paging.elf \
	$(G_OUT)/gdb/gdb-guest.elf

$(G_OUT)/hello/hello.elf: $(G_SRC)/hello/hello.c $(G_SRC)/guest.mk
	@mkdir -p $(@D)
	$(G_CC) $(G_PICO) $< -o $@

$(G_OUT)/hello/hello42.elf: $(G_SRC)/hello/hello.c $(G_SRC)/guest.mk
	@mkdir -p $(@D)
	$(G_CC) $(G_PICO) -DEXIT_CODE=42 $< -o $@

$(G_OUT)/demo/demo.elf: $(G_SRC)/demo/demo.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Stops by itself after 12 ticks (no input needed): for diff-qemu.sh.
$(G_OUT)/demo/demo-ticks.elf: $(G_SRC)/demo/demo.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -DMAX_TICKS=12 $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

$(G_OUT)/isa/isa-%.elf: $(G_SRC)/isa/%.c $(G_TEST) $(G_HDRS) $(wildcard $(G_SRC)/isa/*.h)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -I$(G_SRC)/isa $(G_LDFLAGS) $(G_TEST) $< -lgcc -o $@

# F and D: the one ISA guest built with the FP extensions (still lp64: its
# values move through integer registers, the C code never uses the FPU).
$(G_OUT)/isa/isa-rv64fd.elf: $(G_SRC)/isa/rv64fd.c $(G_TEST) $(G_HDRS) $(wildcard $(G_SRC)/isa/*.h)
	@mkdir -p $(@D)
	$(G_CC) $(subst rv64imac,rv64imafdc,$(G_CFLAGS)) -I$(G_SRC)/isa $(G_LDFLAGS) $(G_TEST) $< -lgcc -o $@

# The B extensions and pause need the assembler's names (the last -march wins).
$(G_OUT)/isa/isa-rv64b.elf: G_CFLAGS += -march=rv64imac_zba_zbb_zbc_zbs_zihintpause

# FP benchmark (bench/fp.sh; the short one runs in diff-qemu.sh): F and D in
# the FPU, lp64 ABI as isa-rv64fd.
FPBENCH_SHORT ?= 1
FPBENCH_LONG  ?= 30
GUEST_ELFS += $(G_OUT)/bench/fpbench-short.elf $(G_OUT)/bench/fpbench.elf
$(G_OUT)/bench/fpbench-short.elf: $(G_SRC)/bench/fpbench.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(subst rv64imac,rv64imafdc,$(G_CFLAGS)) -fno-math-errno -DITERS=$(FPBENCH_SHORT) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@
$(G_OUT)/bench/fpbench.elf: $(G_SRC)/bench/fpbench.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(subst rv64imac,rv64imafdc,$(G_CFLAGS)) -fno-math-errno -DITERS=$(FPBENCH_LONG) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Host build of the benchmark core: prints the expected checksum.
$(G_OUT)/bench/host_bench: $(srcdir)/bench/host/host_main.c $(G_SRC)/bench/bench_core.c $(G_SRC)/bench/bench_core.h
	@mkdir -p $(@D)
	$(CC) -O2 -I$(G_SRC)/bench -o $@ $(srcdir)/bench/host/host_main.c $(G_SRC)/bench/bench_core.c

G_BENCH_SRCS := $(G_SRC)/bench/guest_main.c $(G_SRC)/bench/bench_core.c
G_BENCH_DEPS := $(G_BENCH_SRCS) $(G_SRC)/bench/bench_core.h $(G_COMMON) $(G_HDRS) $(G_OUT)/bench/host_bench

$(G_OUT)/bench/rvbench-short.elf: $(G_BENCH_DEPS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -I$(G_SRC)/bench -DITERS=$(RVBENCH_SHORT) \
	  -DEXPECTED=$$($(G_OUT)/bench/host_bench $(RVBENCH_SHORT)) \
	  $(G_LDFLAGS) $(G_COMMON) $(G_BENCH_SRCS) -lgcc -o $@

$(G_OUT)/bench/rvbench.elf: $(G_BENCH_DEPS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -I$(G_SRC)/bench -DITERS=$(RVBENCH_LONG) \
	  -DEXPECTED=$$($(G_OUT)/bench/host_bench $(RVBENCH_LONG)) \
	  $(G_LDFLAGS) $(G_COMMON) $(G_BENCH_SRCS) -lgcc -o $@

$(G_OUT)/virtio/virtio-blk.elf: $(G_SRC)/virtio/virtio-blk.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Snapshot tests (exact restore with a virtio disk) and the snapshot
# benchmark (256 MiB of RAM touched, then ticking).
$(G_OUT)/snapshot/snap-guest.elf: $(G_SRC)/snapshot/snap-guest.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

$(G_OUT)/snapshot/snap-touch.elf: $(G_SRC)/snapshot/snap-guest.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -DTOUCH_MIB=256 $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Long enough to be migrated while it writes its disk (migrate-disk.sh).
$(G_OUT)/snapshot/snap-long.elf: $(G_SRC)/snapshot/snap-guest.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -DTICKS=3000 $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Migration test guest (tests/integration/migrate-migtest.sh, migrate-fail.sh, bench/migrate.sh).
GUEST_ELFS += $(G_OUT)/migtest/migtest.elf
$(G_OUT)/migtest/migtest.elf: $(G_SRC)/migtest/migtest.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# Sv39 paging, a fault of each kind the debug log reports: tests/integration/log.sh.
$(G_OUT)/log/log-paging.elf: $(G_SRC)/log/paging.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

# SMP benchmark guest (bench/smp.sh): rvbench's mix on every hart, each
# with its own copy of bench_core.c (entry points renamed per hart).
SMPBENCH_ITERS ?= 1000
GUEST_ELFS += $(G_OUT)/smpbench/smpbench.elf
$(G_OUT)/smpbench/smpbench.elf: $(G_SRC)/smpbench/smpbench.c $(G_SRC)/smp/start.S $(G_SRC)/common/fmt.c \
		$(G_SRC)/bench/bench_core.c $(G_SRC)/bench/bench_core.h $(G_HDRS) $(G_OUT)/bench/host_bench
	@mkdir -p $(@D)
	for h in 0 1 2 3 4 5 6 7; do \
	  $(G_CC) $(G_CFLAGS) -I$(G_SRC)/bench -Dbench_run=bench_run_h$$h -Dbench_init=bench_init_h$$h \
	    -Dbench_iteration=bench_iteration_h$$h -c $(G_SRC)/bench/bench_core.c -o $(@D)/core$$h.o || exit 1; \
	done
	$(G_CC) $(G_CFLAGS) -DITERS=$(SMPBENCH_ITERS) -DEXPECTED=$$($(G_OUT)/bench/host_bench $(SMPBENCH_ITERS)) \
	  $(G_LDFLAGS) $(G_SRC)/smp/start.S $(G_SRC)/common/fmt.c $< $(patsubst %,$(@D)/core%.o,0 1 2 3 4 5 6 7) -lgcc -o $@

# Multi-hart test guest (tests/integration/smp.sh): its own start (a stack
# per hart), no crt0.
GUEST_ELFS += $(G_OUT)/smp/smptest.elf
$(G_OUT)/smp/smptest.elf: $(G_SRC)/smp/smptest.c $(G_SRC)/smp/start.S $(G_SRC)/common/fmt.c $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_SRC)/smp/start.S $(G_SRC)/common/fmt.c $< -lgcc -o $@

# Differential test against QEMU (tests/integration/diff-ops.sh): the C code
# is rv64imac (its operand stream uses integer instructions only), the stubs
# in ops.S name the F, D and B instructions themselves.
GUEST_ELFS += $(G_OUT)/opdiff/opdiff.elf
$(G_OUT)/opdiff/opdiff.elf: $(G_SRC)/opdiff/opdiff.c $(G_SRC)/opdiff/ops.S $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) $(G_LDFLAGS) $(G_COMMON) $(G_SRC)/opdiff/opdiff.c $(G_SRC)/opdiff/ops.S -lgcc -o $@

# The GDB stub's guest (tests/integration/gdb.sh): -O1 keeps its functions
# and loops as written, for breakpoints and stepping.
$(G_OUT)/gdb/gdb-guest.elf: $(G_SRC)/gdb/gdb-guest.c $(G_COMMON) $(G_HDRS)
	@mkdir -p $(@D)
	$(G_CC) $(G_CFLAGS) -O1 $(G_LDFLAGS) $(G_COMMON) $< -lgcc -o $@

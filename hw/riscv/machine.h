/* The riscv `virt` board: 1..8 RV64 harts, RAM, boot ROM, device tree and the
 * devices at QEMU's addresses. */
#ifndef HW_RISCV_MACHINE_H
#define HW_RISCV_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/chardev.h"
#include "emu/clock.h"
#include "target/riscv/cpu.h"
#include "emu/memory.h"
#include "emu/runstate.h"
#include "hw/clint.h"
#include "hw/goldfish_rtc.h"
#include "hw/htif.h"
#include "hw/plic.h"
#include "hw/sifive_test.h"
#include "hw/uart16550.h"
#include "hw/virtio-blk.h"
#include "hw/virtio-mmio.h"
#include "hw/virtio-net.h"
#include "emu/loop.h"
#include "net/net.h"
#include "net/slirp.h"
#include "block/drive.h"
#include "savevm/savevm.h"
#include "util/error.h"
#include "util/report.h"

#define VIRT_MROM_BASE      0x1000ull
#define VIRT_MROM_SIZE      0xf000ull
#define VIRT_TEST_BASE      0x100000ull
#define VIRT_RTC_BASE       0x101000ull
#define VIRT_CLINT_BASE     0x2000000ull
#define VIRT_PLIC_BASE      0xc000000ull
#define VIRT_UART0_BASE     0x10000000ull
#define VIRT_VIRTIO_BASE    0x10001000ull
#define VIRT_VIRTIO_STRIDE  0x1000ull
#define VIRT_VIRTIO_COUNT   8
#define VIRT_DRAM_BASE      0x80000000ull
#define VIRT_UART0_IRQ      10
#define VIRT_RTC_IRQ        11
#define VIRT_VIRTIO_IRQ     1        /* slot n uses irq 1 + n */

#define MACHINE_DEFAULT_RAM (128ull << 20)
#define MACHINE_MAX_DRIVES  16
#define MACHINE_MAX_HARTS   8
#define MACHINE_MAX_NETS    4

/* A -nic: its back end (netdev index) and NIC options. */
typedef struct MachineNic {
    int netdev;                  /* -1: -nic none */
    bool none;
    char model[32];              /* "" or virtio-net-device */
    char mac[32];                /* "" : the default */
} MachineNic;

/* What the command line asked for. */
typedef struct MachineOptions {
    const char *machine;         /* "virt" */
    uint64_t ram_size;
    int smp;                     /* harts, 1..MACHINE_MAX_HARTS (0: one) */
    const char *bios;            /* path, "none", or NULL for the default */
    const char *kernel;
    const char *append;
    const char *initrd;
    const char *dtb_dump;        /* -dumpdtb FILE: write and exit */
    bool start_paused;           /* -S */
    ClockMode clock_mode;
    unsigned icount_shift;
    bool icount_sleep;           /* icount: an idle (WFI) guest waits in real time */
    bool jit;                    /* -accel tcg,jit=on: host code where the host has a JIT */
    bool no_reboot;              /* -no-reboot: a guest reset request exits instead */
    bool no_shutdown;            /* -no-shutdown: a guest power-off stops, not exits */
    uint64_t rtc_base_ns;        /* 0: host wall time at start */
    const char *drives[MACHINE_MAX_DRIVES];  /* -drive arguments, in order */
    int nr_drives;
    const char *devices[MACHINE_MAX_DRIVES]; /* -device arguments, in order */
    int nr_devices;
    const char *netdevs[MACHINE_MAX_NETS];   /* -netdev arguments, in order */
    int nr_netdevs;
    const char *nics[MACHINE_MAX_NETS];      /* -nic arguments, in order */
    int nr_nics;
    Loop *loop;                  /* the loop that polls the network back ends */
    bool snapshot;               /* -snapshot: snapshot=on unless a drive says off */
    bool incoming;               /* -incoming: disks stay inactive until the load ends */
    bool replaying;              /* -replay: the log replaces the network back ends */
    Log *log;                    /* the debug log (-d/-D); NULL: the machine's own, off */
    Reporter warn;               /* warnings while building (a probed raw image); the
                                  * system prints them */
} MachineOptions;

/* A loaded image (firmware, kernel, initrd, FDT) as it was first written to
 * guest memory: copied back on system reset, as QEMU does with its ROM blobs,
 * so firmware re-runs from pristine .data (OpenSBI's boot-hart lottery). */
typedef struct MachineBlob {
    uint64_t addr, len;
    uint8_t *data;
    const char *owner;           /* "-bios", "-kernel", "-initrd", "device tree" */
    const char *path;            /* the image file (the command line's), or NULL */
    int seg;                     /* segment of an ELF image, or -1 (info roms) */
} MachineBlob;

#define MACHINE_MAX_BLOBS 80

struct Machine;

/* Staging copies of the board's own sections (machine-vmstate.c): loaded
 * values are checked before they reach the machine. */
typedef struct BoardVMState {
    struct Machine *m;
    uint64_t ram_size;
    bool shutdown_requested;
    bool reset_requested;
    int32_t exit_code;
    uint32_t sched_cur;
    uint64_t sched_left;
} BoardVMState;

/* The machine's part of the configuration section: its hart count. */
typedef struct ConfigVMState {
    struct Machine *m;
    uint32_t nr_harts;           /* save: the machine's; load: the stream's */
} ConfigVMState;

typedef struct ClockVMState {
    VirtClock *clock;
    uint64_t clock_ns;           /* virtual time at save */
} ClockVMState;

typedef struct Machine {
    MachineOptions opts;
    PhysMemory mem;
    /* The harts, 0 .. nr_harts-1, run in turn by machine-sched.c. */
    RISCVCPU harts[MACHINE_MAX_HARTS];
    int nr_harts;
    /* The round-robin scheduler: the hart whose turn it is and what is
     * left of its quantum (saved: a restored run continues the turn). */
    uint32_t sched_cur;
    uint64_t sched_left;
    MemoryRegion *rom;
    Plic plic;
    Clint clint;
    Uart16550 uart0;
    SifiveTest test;
    GoldfishRtc rtc;
    Htif htif;
    bool has_htif;
    VirtClock clock;             /* virtual time, from the harts' icount */
    VMRunState run;              /* running, paused, inmigrate, ... (info status) */
    SaveVMState *sections;       /* the machine's state sections (savevm/) */
    Log *log;                    /* opts.log, else own_log; harts and devices write here */
    Log own_log;
    CharBackend serial0;         /* back end of UART0 (and HTIF console) */
    /* Disks (-drive) and the virtio-mmio slots; the first virtio drive sits
     * in the last slot, as on QEMU (machine-drives.c). */
    DriveOptions drive[MACHINE_MAX_DRIVES];
    BlockDriverState *drive_bs[MACHINE_MAX_DRIVES];
    /* The virtio-mmio slot a drive's virtio-blk sits in, or -1 (if=none
     * and used by no -device). */
    int drive_slot[MACHINE_MAX_DRIVES];
    int nr_drives;
    VirtioMmio virtio[VIRT_VIRTIO_COUNT];
    VirtioBlk virtio_blk[VIRT_VIRTIO_COUNT];
    VirtioNet virtio_net[VIRT_VIRTIO_COUNT];
    /* Network back ends (-netdev, -nic) and the slot of the NIC of each
     * (-1: none). */
    NetDev netdev[MACHINE_MAX_NETS];
    NetSlirp *slirp[MACHINE_MAX_NETS];
    int net_slot[MACHINE_MAX_NETS];
    int nr_netdevs;
    MachineNic nics[MACHINE_MAX_NETS];
    int nr_nics;
    int nr_nic_devices;
    uint64_t entry;              /* where the boot ROM jumps */
    uint64_t fdt_addr;
    void *fdt;                   /* generated device tree blob (host memory) */
    uint32_t fdt_size;
    uint64_t initrd_start, initrd_end;   /* both 0 without -initrd */
    MachineBlob blobs[MACHINE_MAX_BLOBS];
    int nr_blobs;
    /* Requests raised by the guest, acted on by the main loop. */
    bool shutdown_requested;
    bool reset_requested;
    int exit_code;
    BoardVMState board_vms;
    ClockVMState clock_vms;
    ConfigVMState config_vms;
    /* ---- debugger state (machine-debug.c): host side, never saved ---- */
    CPUDebugPoints debug;        /* the debugger's breakpoints and watchpoints */
    int debug_hart;              /* the hart whose CPU_EXIT_DEBUG machine_exec returned */
    /* The harts a debugger lets run (bit h: hart h; 0: all). The others
     * keep their state and are passed over in the turn (gdb's
     * scheduler-locking: vCont;c:N). */
    uint32_t debug_run_mask;
    /* Bumped whenever the harts' state was replaced from outside the guest
     * (loadvm, an incoming migration, system_reset): a debugger's cached
     * registers are stale. */
    uint64_t state_gen;
    /* Instructions run by machine_debug_step (a debugger's stepi): reverse
     * execution takes a checkpoint after them (replay/reverse.h). */
    uint64_t debug_steps;
    /* A debugger's writes to registers or memory (machine_debug_write_*):
     * reverse execution takes a checkpoint after them, as re-execution
     * would not make them again. */
    uint64_t debug_writes;
} Machine;

/* Builds the board and loads firmware/kernel. The caller sets up m->serial0
 * (chardev_init_*) first; every other field is initialised here. On error
 * prints nothing and returns false with a one-line message in err (names the
 * file or option); warnings go to opts->warn. */
bool machine_init(Machine *m, const MachineOptions *opts, Error *err);
void machine_destroy(Machine *m);
/* System reset: CPU and devices to power-on state, boot ROM re-entered. RAM
 * contents are kept, except that the loaded images (firmware, kernel, initrd,
 * FDT) are copied back over whatever the guest did to them, as on QEMU. */
void machine_reset(Machine *m);
/* After the machine's state was loaded or changed from outside the guest:
 * drops the host caches built on the old state (TLBs, translated code). */
void machine_state_changed(Machine *m);
/* While on, a state load keeps translated code (RISCVCPU.load_keeps_code):
 * for a caller that reported every RAM page it changed through
 * memory_ram_written, as reverse execution's restore does. */
void machine_load_keeps_code(Machine *m, bool on);
/* Sets the debug log's items; retranslates the harts' code when the
 * translation-time items (in_asm, exec, cpu) changed. */
void machine_log_set_mask(Machine *m, unsigned mask);
/* machine-drives.c: opens the -drive images, creates the virtio-mmio slots
 * (resets them with the machine, closes the images on destroy). */
bool machine_init_drives(Machine *m, Error *err);
/* machine-drives.c: puts drive i on the next free virtio-mmio slot (*slot,
 * counting down); the device's id string (VIRTIO_BLK_T_GET_ID) is `serial`,
 * or the drive's id when NULL; `what` names the option in a message. */
bool machine_plug_drive(Machine *m, int i, int *slot, const VirtioDeviceOps **ops,
                        const char *serial, const char *what, Error *err);
/* machine-devices.c: the -device options (virtio-blk-device,drive=ID). */
bool machine_plug_devices(Machine *m, int *slot, const VirtioDeviceOps **ops, Error *err);
void machine_reset_drives(Machine *m);
/* machine-net.c: the -netdev and -nic back ends (before the drives). */
bool machine_init_netdevs(Machine *m, Error *err);
/* The -nic NICs on the next free slots (after the if=virtio drives). */
bool machine_plug_nics(Machine *m, int *slot, const VirtioDeviceOps **ops, Error *err);
/* -device virtio-net-device,netdev=ID[,mac=MAC][,id=NAME]. */
bool machine_plug_net_device(Machine *m, const char *spec, int *slot,
                             const VirtioDeviceOps **ops, Error *err);
/* After the transports exist: the NICs learn theirs. */
void machine_attach_nics(Machine *m);
int machine_find_netdev(const Machine *m, const char *id);
VirtioNet *machine_find_nic(Machine *m, const char *name);
/* A migration's source gives its host ports up, and takes them back when
 * the migration fails. */
void machine_net_release_forwards(Machine *m);
bool machine_net_bind_forwards(Machine *m, Error *err);
/* announce_self: RARP rounds from every NIC. */
void machine_net_announce(Machine *m);
void machine_destroy_nets(Machine *m);
/* The end of an incoming migration: every disk is reopened with its own
 * flags, so what the source wrote to a shared image (tables, header, new
 * clusters) is read afresh. 0, or -EIO with err naming the drive. */
int machine_activate_drives(Machine *m, Error *err);
void machine_destroy_drives(Machine *m);
/* machine-sched.c: runs the harts for at most max_insns instructions of
 * virtual time, each in turn for MACHINE_QUANTUM instructions (doc/smp.md).
 * CPU_EXIT_HALTED when every hart waits in WFI. */
#define MACHINE_QUANTUM 10000
CPUExitReason machine_exec(Machine *m, uint64_t max_insns);
/* machine-debug.c: what a debugger does to the harts. step: hart h alone
 * runs exactly one instruction (interrupts held off; a trap it takes ends
 * the step at the vector); the others and the turn stay as they are.
 * Returns CPU_EXIT_DEBUG when a watchpoint stopped it before the access,
 * CPU_EXIT_HALTED when it waits in WFI (nothing ran). resume: the harts
 * leave step mode and gdb's breakpoint at each hart's pc is passed over
 * once. */
CPUExitReason machine_debug_step(Machine *m, int h);
void machine_debug_resume(Machine *m, uint32_t run_mask);
/* A debugger's write to hart h's register regno (cpu_gdb_write_reg's
 * numbers) or to memory through hart h's view (virtual when its satp
 * translates); false for no such hart or register, or a fault. The record
 * and replay log carries them (replay/replay.h). */
bool machine_debug_write_reg(Machine *m, int h, int regno, const uint8_t *v, unsigned len);
bool machine_debug_write_mem(Machine *m, int h, uint64_t vaddr, const void *buf, uint64_t len);
/* Stops the running hart at its next block boundary (async-signal safe). */
void machine_request_exit(Machine *m);
/* The virtual time base: the instructions of all harts plus idle time. */
uint64_t machine_icount(void *opaque /* Machine * */);
/* Exact positions (record/replay, reverse execution): machine_exec(m, n)
 * then retires exactly n instructions machine-wide unless it stops sooner
 * (WFI, an exit request, a debug stop), so a run can stop in the middle of
 * a block. Off by default: the default run lets a block finish. */
void machine_set_icount_exact(Machine *m, bool exact);
/* Runs until machine_icount(m) == pos, or a stop machine_exec reports
 * (not LIMIT) comes first, which is returned; CPU_EXIT_LIMIT on arrival.
 * Needs machine_set_icount_exact. Idle time is not skipped here: a
 * machine whose harts all wait returns CPU_EXIT_HALTED. */
CPUExitReason machine_run_to(Machine *m, uint64_t pos);

/* Generates the device tree into m->fdt (called by machine_init). Reads
 * opts.ram_size, opts.append, initrd_start/end and the hart count
 * (nr_harts, else opts.smp). */
bool machine_build_fdt(Machine *m, Error *err);
/* Where QEMU 7.2 puts a device tree of fdt_size bytes: 2 MiB aligned, below
 * the end of RAM or 3 GiB, whichever is lower (kept below 4 GiB). */
uint64_t machine_fdt_address(uint64_t ram_size, uint32_t fdt_size);

/* The device tree's phandles (the same numbers QEMU uses): QEMU numbers
 * the harts from the last, two each (cpu, its interrupt controller), then
 * the PLIC and the test device. The fixed names are those of one hart. */
#define FDT_PHANDLE_CPU_OF(n, h)  (2 * ((n) - 1 - (h)) + 1)
#define FDT_PHANDLE_INTC_OF(n, h) (2 * ((n) - 1 - (h)) + 2)
#define FDT_PHANDLE_PLIC_OF(n)    (2 * (n) + 1)
#define FDT_PHANDLE_TEST_OF(n)    (2 * (n) + 2)
#define FDT_PHANDLE_CPU   FDT_PHANDLE_CPU_OF(1, 0)
#define FDT_PHANDLE_INTC  FDT_PHANDLE_INTC_OF(1, 0)
#define FDT_PHANDLE_PLIC  FDT_PHANDLE_PLIC_OF(1)
#define FDT_PHANDLE_TEST  FDT_PHANDLE_TEST_OF(1)
/* The generated tree is built in a buffer of this size, then packed. */
#define FDT_MAX_SIZE      0x10000

#endif

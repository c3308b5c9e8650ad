/* The riscv `virt` board: one RV64 hart, RAM, boot ROM, device tree and the
 * devices at QEMU's addresses. */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/chardev.h"
#include "emu/clock.h"
#include "emu/cpu.h"
#include "emu/memory.h"
#include "hw/clint.h"
#include "hw/goldfish_rtc.h"
#include "hw/htif.h"
#include "hw/plic.h"
#include "hw/sifive_test.h"
#include "hw/uart16550.h"

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

/* What the command line asked for. */
typedef struct MachineOptions {
    const char *machine;         /* "virt" */
    uint64_t ram_size;
    const char *bios;            /* path, "none", or NULL for the default */
    const char *kernel;
    const char *append;
    const char *initrd;
    const char *dtb_dump;        /* -dumpdtb FILE: write and exit */
    bool start_paused;           /* -S */
    ClockMode clock_mode;
    unsigned icount_shift;
    uint64_t rtc_base_ns;        /* 0: host wall time at start */
} MachineOptions;

typedef struct Machine {
    MachineOptions opts;
    PhysMemory mem;
    RISCVCPU cpu;
    MemoryRegion *rom;
    Plic plic;
    Clint clint;
    Uart16550 uart0;
    SifiveTest test;
    GoldfishRtc rtc;
    Htif htif;
    bool has_htif;
    CharBackend serial0;         /* back end of UART0 (and HTIF console) */
    uint64_t entry;              /* where the boot ROM jumps */
    uint64_t fdt_addr;
    void *fdt;                   /* generated device tree blob (host memory) */
    uint32_t fdt_size;
    /* Requests raised by the guest, acted on by the main loop. */
    bool shutdown_requested;
    bool reset_requested;
    int exit_code;
} Machine;

/* The machine (one per process). */
extern Machine *current_machine;

/* Builds the board and loads firmware/kernel. On error prints nothing and
 * returns false with a one-line message in err (names the file or option). */
bool machine_init(Machine *m, const MachineOptions *opts, char *err, size_t errlen);
void machine_destroy(Machine *m);
/* System reset: CPU and devices to power-on state, boot ROM re-entered. RAM
 * contents are kept (the loaded images stay), as on QEMU. */
void machine_reset(Machine *m);
/* Generates the device tree into m->fdt (called by machine_init). */
bool machine_build_fdt(Machine *m, char *err, size_t errlen);

#endif

/* The flattened device tree handed to firmware in a1. It describes exactly
 * the devices the board has, with QEMU 7.2's node names, phandles and
 * property order (dtc output of both trees diffs cleanly). QEMU's extra
 * nodes (pci, fw-cfg, flash, platform-bus, pmu) and the random
 * rng-seed are left out: we have none of those devices, and a seed would
 * make runs differ. */
#include "hw/riscv/machine.h"

#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct FdtBuilder {
    void *fdt;
    int rc;                      /* first libfdt error, sticky */
} FdtBuilder;

static void fdt_check(FdtBuilder *b, int rc)
{
    if (b->rc == 0 && rc < 0) {
        b->rc = rc;
    }
}

static void fdt_cells(FdtBuilder *b, const char *name, int n, ...)
{
    fdt32_t cells[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n && i < 16; i++) {
        cells[i] = cpu_to_fdt32(va_arg(ap, uint32_t));
    }
    va_end(ap);
    fdt_check(b, fdt_property(b->fdt, name, cells, n * (int)sizeof(fdt32_t)));
}

static void fdt_u32(FdtBuilder *b, const char *name, uint32_t v)
{
    fdt_check(b, fdt_property_u32(b->fdt, name, v));
}

static void fdt_str(FdtBuilder *b, const char *name, const char *s)
{
    fdt_check(b, fdt_property_string(b->fdt, name, s));
}

/* A string list: the strings separated by NULs (len includes the last NUL). */
static void fdt_strlist(FdtBuilder *b, const char *name, const char *s, int len)
{
    fdt_check(b, fdt_property(b->fdt, name, s, len));
}

static void fdt_empty(FdtBuilder *b, const char *name)
{
    fdt_check(b, fdt_property(b->fdt, name, NULL, 0));
}

static void fdt_reg(FdtBuilder *b, uint64_t base, uint64_t size)
{
    fdt_cells(b, "reg", 4, (uint32_t)(base >> 32), (uint32_t)base,
              (uint32_t)(size >> 32), (uint32_t)size);
}

static void fdt_begin(FdtBuilder *b, const char *name)
{
    fdt_check(b, fdt_begin_node(b->fdt, name));
}

static void fdt_end(FdtBuilder *b)
{
    fdt_check(b, fdt_end_node(b->fdt));
}

static void fdt_build_chosen(FdtBuilder *b, const Machine *m)
{
    fdt_begin(b, "chosen");
    if (m->initrd_end) {
        fdt_check(b, fdt_property_u64(b->fdt, "linux,initrd-end", m->initrd_end));
        fdt_check(b, fdt_property_u64(b->fdt, "linux,initrd-start", m->initrd_start));
    }
    if (m->opts.append) {
        fdt_str(b, "bootargs", m->opts.append);
    }
    fdt_str(b, "stdout-path", "/soc/serial@10000000");
    fdt_end(b);
}

/* poweroff / reboot: syscon writes to the sifive_test finisher. */
static void fdt_build_syscon(FdtBuilder *b, const char *node, const char *compat, uint32_t value,
                             uint32_t test)
{
    fdt_begin(b, node);
    fdt_u32(b, "value", value);
    fdt_u32(b, "offset", 0);
    fdt_u32(b, "regmap", test);
    fdt_str(b, "compatible", compat);
    fdt_end(b);
}

static void fdt_build_cpus(FdtBuilder *b, const Machine *m, int n)
{
    char name[32];
    /* Exactly what the harts implement; firmware and Linux pick code
     * paths from it. */
    char isa[128];
    cpu_isa_string(&m->harts[0], isa, sizeof(isa));
    fdt_begin(b, "cpus");
    fdt_u32(b, "#address-cells", 1);
    fdt_u32(b, "#size-cells", 0);
    fdt_u32(b, "timebase-frequency", CLINT_TIMEBASE_HZ);

    for (int h = 0; h < n; h++) {
        snprintf(name, sizeof(name), "cpu@%d", h);
        fdt_begin(b, name);
        fdt_u32(b, "phandle", FDT_PHANDLE_CPU_OF(n, h));
        fdt_str(b, "device_type", "cpu");
        fdt_u32(b, "reg", (uint32_t)h);
        fdt_str(b, "status", "okay");
        fdt_str(b, "compatible", "riscv");
        fdt_str(b, "riscv,isa", isa);
        fdt_str(b, "mmu-type", "riscv,sv48");
        fdt_begin(b, "interrupt-controller");
        fdt_u32(b, "#interrupt-cells", 1);
        fdt_empty(b, "interrupt-controller");
        fdt_str(b, "compatible", "riscv,cpu-intc");
        fdt_u32(b, "phandle", FDT_PHANDLE_INTC_OF(n, h));
        fdt_end(b);
        fdt_end(b);
    }

    /* One socket, one core per hart: QEMU's cluster0/coreN. */
    fdt_begin(b, "cpu-map");
    fdt_begin(b, "cluster0");
    for (int h = 0; h < n; h++) {
        snprintf(name, sizeof(name), "core%d", h);
        fdt_begin(b, name);
        fdt_u32(b, "cpu", FDT_PHANDLE_CPU_OF(n, h));
        fdt_end(b);
    }
    fdt_end(b);
    fdt_end(b);
    fdt_end(b);
}

/* interrupts-extended of a per-hart device: (intc, m_irq) and, when
 * s_irq >= 0, (intc, s_irq) for every hart in order. */
static void fdt_per_hart_irqs(FdtBuilder *b, int n, uint32_t m_irq, uint32_t s_irq)
{
    fdt32_t cells[4 * MACHINE_MAX_HARTS];
    int k = 0;
    for (int h = 0; h < n; h++) {
        cells[k++] = cpu_to_fdt32(FDT_PHANDLE_INTC_OF(n, h));
        cells[k++] = cpu_to_fdt32(m_irq);
        cells[k++] = cpu_to_fdt32(FDT_PHANDLE_INTC_OF(n, h));
        cells[k++] = cpu_to_fdt32(s_irq);
    }
    fdt_check(b, fdt_property(b->fdt, "interrupts-extended", cells, k * (int)sizeof(fdt32_t)));
}

static void fdt_build_soc(FdtBuilder *b, int n)
{
    const uint32_t plic = FDT_PHANDLE_PLIC_OF(n);
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
    static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    static const char clint_compat[] = "sifive,clint0\0riscv,clint0";

    fdt_begin(b, "soc");
    fdt_u32(b, "#address-cells", 2);
    fdt_u32(b, "#size-cells", 2);
    fdt_str(b, "compatible", "simple-bus");
    fdt_empty(b, "ranges");

    fdt_begin(b, "rtc@101000");
    fdt_u32(b, "interrupts", VIRT_RTC_IRQ);
    fdt_u32(b, "interrupt-parent", plic);
    fdt_reg(b, VIRT_RTC_BASE, GOLDFISH_RTC_MMIO_SIZE);
    fdt_str(b, "compatible", "google,goldfish-rtc");
    fdt_end(b);

    fdt_begin(b, "serial@10000000");
    fdt_u32(b, "interrupts", VIRT_UART0_IRQ);
    fdt_u32(b, "interrupt-parent", plic);
    fdt_u32(b, "clock-frequency", 3686400);
    fdt_reg(b, VIRT_UART0_BASE, UART16550_MMIO_SIZE);
    fdt_str(b, "compatible", "ns16550a");
    fdt_end(b);

    fdt_begin(b, "test@100000");
    fdt_u32(b, "phandle", FDT_PHANDLE_TEST_OF(n));
    fdt_reg(b, VIRT_TEST_BASE, SIFIVE_TEST_MMIO_SIZE);
    fdt_strlist(b, "compatible", test_compat, sizeof(test_compat));
    fdt_end(b);

    /* All eight virtio-mmio slots, highest first, as QEMU lists them. */
    for (int i = VIRT_VIRTIO_COUNT - 1; i >= 0; i--) {
        char name[32];
        uint64_t base = VIRT_VIRTIO_BASE + (uint64_t)i * VIRT_VIRTIO_STRIDE;
        snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
        fdt_begin(b, name);
        fdt_u32(b, "interrupts", VIRT_VIRTIO_IRQ + i);
        fdt_u32(b, "interrupt-parent", plic);
        fdt_reg(b, base, VIRT_VIRTIO_STRIDE);
        fdt_str(b, "compatible", "virtio,mmio");
        fdt_end(b);
    }

    fdt_begin(b, "plic@c000000");
    fdt_u32(b, "phandle", plic);
    /* Sources 1..95 exist; QEMU 7.2 says 0x60, one more than its PLIC has. */
    fdt_u32(b, "riscv,ndev", PLIC_NUM_SOURCES - 1);
    fdt_reg(b, VIRT_PLIC_BASE, PLIC_MMIO_SIZE);
    fdt_per_hart_irqs(b, n, IRQ_M_EXT, IRQ_S_EXT);
    fdt_empty(b, "interrupt-controller");
    fdt_strlist(b, "compatible", plic_compat, sizeof(plic_compat));
    fdt_u32(b, "#address-cells", 0);
    fdt_u32(b, "#interrupt-cells", 1);
    fdt_end(b);

    fdt_begin(b, "clint@2000000");
    fdt_per_hart_irqs(b, n, IRQ_M_SOFT, IRQ_M_TIMER);
    fdt_reg(b, VIRT_CLINT_BASE, CLINT_MMIO_SIZE);
    fdt_strlist(b, "compatible", clint_compat, sizeof(clint_compat));
    fdt_end(b);

    fdt_end(b);
}

uint64_t machine_fdt_address(uint64_t ram_size, uint32_t fdt_size)
{
    const uint64_t align = 2ull << 20;
    uint64_t top = VIRT_DRAM_BASE + ram_size;
    if (top > 3072ull << 20) {
        top = 3072ull << 20;     /* reachable by 32-bit code, as QEMU 7.2 */
    }
    return (top - fdt_size) & ~(align - 1);
}

bool machine_build_fdt(Machine *m, Error *err)
{
    int n = m->nr_harts ? m->nr_harts : m->opts.smp ? m->opts.smp : 1;
    FdtBuilder b = { .fdt = calloc(1, FDT_MAX_SIZE), .rc = 0 };
    if (!b.fdt) {
        error_setf(err, "device tree: out of memory");
        return false;
    }
    fdt_check(&b, fdt_create(b.fdt, FDT_MAX_SIZE));
    fdt_check(&b, fdt_finish_reservemap(b.fdt));
    fdt_begin(&b, "");
    fdt_u32(&b, "#address-cells", 2);
    fdt_u32(&b, "#size-cells", 2);
    fdt_str(&b, "compatible", "riscv-virtio");
    fdt_str(&b, "model", "riscv-virtio,qemu");

    fdt_build_chosen(&b, m);
    fdt_build_syscon(&b, "poweroff", "syscon-poweroff", 0x5555, FDT_PHANDLE_TEST_OF(n));
    fdt_build_syscon(&b, "reboot", "syscon-reboot", 0x7777, FDT_PHANDLE_TEST_OF(n));

    fdt_begin(&b, "memory@80000000");
    fdt_str(&b, "device_type", "memory");
    fdt_reg(&b, VIRT_DRAM_BASE, m->opts.ram_size);
    fdt_end(&b);

    fdt_build_cpus(&b, m, n);
    fdt_build_soc(&b, n);
    fdt_end(&b);
    fdt_check(&b, fdt_finish(b.fdt));
    /* Read-write form, so later code (the monitor, tests) can edit it, then
     * packed down to its real size. */
    fdt_check(&b, fdt_open_into(b.fdt, b.fdt, FDT_MAX_SIZE));
    fdt_check(&b, fdt_pack(b.fdt));
    if (b.rc < 0) {
        error_setf(err, "device tree: %s%s", fdt_strerror(b.rc),
                   b.rc == -FDT_ERR_NOSPACE ? " (-append too long?)" : "");
        free(b.fdt);
        return false;
    }
    free(m->fdt);
    m->fdt = b.fdt;
    m->fdt_size = fdt_totalsize(b.fdt);
    return true;
}

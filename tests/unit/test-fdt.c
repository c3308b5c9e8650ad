/* The generated device tree, read back with libfdt: nodes, properties,
 * phandle links, and where it is placed in RAM. */
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "hw/riscv/machine.h"
#include "tests/unit/unit.h"

static Machine m;
static Error err;
/* A fresh Error for each call: the first message set is the one kept. */
#define ERR (error_init(&err), &err)

static const void *build(uint64_t ram, const char *append, uint64_t initrd_start, uint64_t initrd_end)
{
    free(m.fdt);
    memset(&m, 0, sizeof(m));
    m.opts.ram_size = ram;
    m.opts.append = append;
    m.initrd_start = initrd_start;
    m.initrd_end = initrd_end;
    cpu_reset(&m.harts[0], 0);      /* the hart's misa names the ISA */
    CU_ASSERT_TRUE_FATAL(machine_build_fdt(&m, ERR));
    CU_ASSERT_EQUAL_FATAL(fdt_check_header(m.fdt), 0);
    CU_ASSERT_EQUAL(fdt_totalsize(m.fdt), m.fdt_size);
    return m.fdt;
}

static int node(const void *fdt, const char *path)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0) {
        printf("\n  missing node %s\n", path);
    }
    CU_ASSERT_FATAL(off >= 0);
    return off;
}

static const char *str(const void *fdt, const char *path, const char *prop)
{
    const char *s = fdt_getprop(fdt, node(fdt, path), prop, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static uint32_t cell(const void *fdt, const char *path, const char *prop, int idx)
{
    int len;
    const fdt32_t *c = fdt_getprop(fdt, node(fdt, path), prop, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(len >= (idx + 1) * 4);
    return fdt32_to_cpu(c[idx]);
}

static bool has_compat(const void *fdt, const char *path, const char *compat)
{
    return fdt_node_check_compatible(fdt, node(fdt, path), compat) == 0;
}

/* The node a phandle cell points at must be the expected path. */
static void check_phandle(const void *fdt, uint32_t ph, const char *path)
{
    int off = fdt_node_offset_by_phandle(fdt, ph);
    CU_ASSERT_FATAL(off >= 0);
    CU_ASSERT_EQUAL(off, node(fdt, path));
}

static void test_root_and_chosen(void)
{
    const void *fdt = build(128ull << 20, NULL, 0, 0);
    CU_ASSERT_EQUAL(cell(fdt, "/", "#address-cells", 0), 2);
    CU_ASSERT_EQUAL(cell(fdt, "/", "#size-cells", 0), 2);
    CU_ASSERT_STRING_EQUAL(str(fdt, "/", "compatible"), "riscv-virtio");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/", "model"), "riscv-virtio,qemu");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/chosen", "stdout-path"), "/soc/serial@10000000");
    CU_ASSERT_PTR_NULL(fdt_getprop(fdt, node(fdt, "/chosen"), "bootargs", NULL));
    CU_ASSERT_PTR_NULL(fdt_getprop(fdt, node(fdt, "/chosen"), "linux,initrd-start", NULL));
    CU_ASSERT(fdt_path_offset(fdt, "/soc/serial@10000000") >= 0);

    fdt = build(128ull << 20, "console=ttyS0 earlycon", 0x84200000, 0x84300000);
    CU_ASSERT_STRING_EQUAL(str(fdt, "/chosen", "bootargs"), "console=ttyS0 earlycon");
    int len;
    /* properties are only 4-byte aligned: read the two cells */
    CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, node(fdt, "/chosen"), "linux,initrd-start", &len));
    CU_ASSERT_EQUAL(len, 8);
    CU_ASSERT_EQUAL(cell(fdt, "/chosen", "linux,initrd-start", 0), 0);
    CU_ASSERT_EQUAL(cell(fdt, "/chosen", "linux,initrd-start", 1), 0x84200000);
    CU_ASSERT_EQUAL(cell(fdt, "/chosen", "linux,initrd-end", 1), 0x84300000);
}

static void test_memory(void)
{
    const void *fdt = build(128ull << 20, NULL, 0, 0);
    CU_ASSERT_STRING_EQUAL(str(fdt, "/memory@80000000", "device_type"), "memory");
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 0), 0);
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 1), 0x80000000);
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 2), 0);
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 3), 0x08000000);
    fdt = build(8ull << 30, NULL, 0, 0);                      /* beyond 4 GiB */
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 2), 2);
    CU_ASSERT_EQUAL(cell(fdt, "/memory@80000000", "reg", 3), 0);
}

static void test_cpus(void)
{
    const void *fdt = build(128ull << 20, NULL, 0, 0);
    CU_ASSERT_EQUAL(cell(fdt, "/cpus", "timebase-frequency", 0), 10000000);
    CU_ASSERT_EQUAL(cell(fdt, "/cpus", "#address-cells", 0), 1);
    CU_ASSERT_EQUAL(cell(fdt, "/cpus", "#size-cells", 0), 0);
    CU_ASSERT_STRING_EQUAL(str(fdt, "/cpus/cpu@0", "device_type"), "cpu");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/cpus/cpu@0", "status"), "okay");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/cpus/cpu@0", "compatible"), "riscv");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/cpus/cpu@0", "riscv,isa"),
                           "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_zihpm_zba_zbb_zbc_zbs_sstc");
    CU_ASSERT_STRING_EQUAL(str(fdt, "/cpus/cpu@0", "mmu-type"), "riscv,sv48");
    CU_ASSERT_EQUAL(cell(fdt, "/cpus/cpu@0", "reg", 0), 0);
    CU_ASSERT_TRUE(has_compat(fdt, "/cpus/cpu@0/interrupt-controller", "riscv,cpu-intc"));
    CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, node(fdt, "/cpus/cpu@0/interrupt-controller"),
                                       "interrupt-controller", NULL));
    CU_ASSERT_EQUAL(cell(fdt, "/cpus/cpu@0/interrupt-controller", "#interrupt-cells", 0), 1);
    check_phandle(fdt, FDT_PHANDLE_CPU, "/cpus/cpu@0");
    check_phandle(fdt, FDT_PHANDLE_INTC, "/cpus/cpu@0/interrupt-controller");
    check_phandle(fdt, cell(fdt, "/cpus/cpu-map/cluster0/core0", "cpu", 0), "/cpus/cpu@0");
}

static void test_soc(void)
{
    const void *fdt = build(128ull << 20, NULL, 0, 0);
    CU_ASSERT_TRUE(has_compat(fdt, "/soc", "simple-bus"));
    CU_ASSERT_PTR_NOT_NULL(fdt_getprop(fdt, node(fdt, "/soc"), "ranges", NULL));

    /* CLINT: MSIP and MTIP of hart 0 */
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/clint@2000000", "sifive,clint0"));
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/clint@2000000", "riscv,clint0"));
    check_phandle(fdt, cell(fdt, "/soc/clint@2000000", "interrupts-extended", 0),
                  "/cpus/cpu@0/interrupt-controller");
    CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "interrupts-extended", 1), 3);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "interrupts-extended", 3), 7);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "reg", 1), 0x2000000);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "reg", 3), 0x10000);

    /* PLIC: M and S external interrupts */
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/plic@c000000", "sifive,plic-1.0.0"));
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/plic@c000000", "riscv,plic0"));
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "riscv,ndev", 0), 95);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "#interrupt-cells", 0), 1);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "interrupts-extended", 1), 11);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "interrupts-extended", 3), 9);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "reg", 3), 0x600000);
    check_phandle(fdt, FDT_PHANDLE_PLIC, "/soc/plic@c000000");

    /* UART and RTC hang off the PLIC */
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/serial@10000000", "ns16550a"));
    CU_ASSERT_EQUAL(cell(fdt, "/soc/serial@10000000", "clock-frequency", 0), 0x384000);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/serial@10000000", "interrupts", 0), 10);
    check_phandle(fdt, cell(fdt, "/soc/serial@10000000", "interrupt-parent", 0), "/soc/plic@c000000");
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/rtc@101000", "google,goldfish-rtc"));
    CU_ASSERT_EQUAL(cell(fdt, "/soc/rtc@101000", "interrupts", 0), 11);
    check_phandle(fdt, cell(fdt, "/soc/rtc@101000", "interrupt-parent", 0), "/soc/plic@c000000");

    /* Finisher, and the syscon poweroff/reboot that point at it */
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/test@100000", "sifive,test0"));
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/test@100000", "syscon"));
    CU_ASSERT_TRUE(has_compat(fdt, "/poweroff", "syscon-poweroff"));
    CU_ASSERT_EQUAL(cell(fdt, "/poweroff", "value", 0), 0x5555);
    CU_ASSERT_EQUAL(cell(fdt, "/poweroff", "offset", 0), 0);
    check_phandle(fdt, cell(fdt, "/poweroff", "regmap", 0), "/soc/test@100000");
    CU_ASSERT_TRUE(has_compat(fdt, "/reboot", "syscon-reboot"));
    CU_ASSERT_EQUAL(cell(fdt, "/reboot", "value", 0), 0x7777);
    check_phandle(fdt, cell(fdt, "/reboot", "regmap", 0), "/soc/test@100000");

    /* Exactly the devices that exist: the eight virtio-mmio slots (irq 1..8),
     * no pci, flash, fw-cfg. */
    int n = 0, child;
    fdt_for_each_subnode(child, fdt, node(fdt, "/soc")) {
        n++;
    }
    CU_ASSERT_EQUAL(n, 5 + 8);
    CU_ASSERT_TRUE(has_compat(fdt, "/soc/virtio_mmio@10001000", "virtio,mmio"));
    CU_ASSERT_EQUAL(cell(fdt, "/soc/virtio_mmio@10001000", "interrupts", 0), 1);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/virtio_mmio@10008000", "interrupts", 0), 8);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/virtio_mmio@10008000", "reg", 1), 0x10008000);
    CU_ASSERT(fdt_path_offset(fdt, "/soc/pci@30000000") < 0);
    CU_ASSERT(fdt_path_offset(fdt, "/fw-cfg@10100000") < 0);
}

static void test_placement(void)
{
    /* QEMU 7.2: 2 MiB aligned below min(end of RAM, 3 GiB). */
    CU_ASSERT_EQUAL(machine_fdt_address(128ull << 20, 0x800), 0x87e00000);
    CU_ASSERT_EQUAL(machine_fdt_address(256ull << 20, 0x800), 0x8fe00000);
    CU_ASSERT_EQUAL(machine_fdt_address(1ull << 30, 0x800), 0xbfe00000);
    CU_ASSERT_EQUAL(machine_fdt_address(16ull << 30, 0x800), 0xbfe00000);
    CU_ASSERT_EQUAL(machine_fdt_address((128ull << 20) + (1 << 20), 0x800), 0x88000000);
}

static void test_append_too_long(void)
{
    size_t len = FDT_MAX_SIZE + 100;
    char *s = malloc(len + 1);
    memset(s, 'a', len);
    s[len] = 0;
    free(m.fdt);
    memset(&m, 0, sizeof(m));
    m.opts.ram_size = 128ull << 20;
    m.opts.append = s;
    CU_ASSERT_FALSE(machine_build_fdt(&m, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "device tree"));
    free(s);
}

/* -smp 4: QEMU's layout (qemu-system-riscv64 -M virt,dumpdtb -smp 4):
 * phandles count from the last hart, two each, then the PLIC and the test
 * device; a cpu-map core per hart; the PLIC and CLINT name every hart's
 * (M, S) and (soft, timer) lines. */
static void test_smp(void)
{
    free(m.fdt);
    memset(&m, 0, sizeof(m));
    m.opts.ram_size = 128ull << 20;
    m.opts.smp = 4;
    CU_ASSERT_TRUE_FATAL(machine_build_fdt(&m, ERR));
    const void *fdt = m.fdt;
    static const uint32_t cpu_ph[4] = { 7, 5, 3, 1 };
    char path[64];
    for (int h = 0; h < 4; h++) {
        snprintf(path, sizeof(path), "/cpus/cpu@%d", h);
        CU_ASSERT_EQUAL(cell(fdt, path, "phandle", 0), cpu_ph[h]);
        CU_ASSERT_EQUAL(cell(fdt, path, "reg", 0), (uint32_t)h);
        snprintf(path, sizeof(path), "/cpus/cpu@%d/interrupt-controller", h);
        CU_ASSERT_EQUAL(cell(fdt, path, "phandle", 0), cpu_ph[h] + 1);
        snprintf(path, sizeof(path), "/cpus/cpu-map/cluster0/core%d", h);
        CU_ASSERT_EQUAL(cell(fdt, path, "cpu", 0), cpu_ph[h]);
        CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * h), cpu_ph[h] + 1);
        CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * h + 1), 11);
        CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "interrupts-extended", 4 * h + 3), 9);
        CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "interrupts-extended", 4 * h + 1), 3);
        CU_ASSERT_EQUAL(cell(fdt, "/soc/clint@2000000", "interrupts-extended", 4 * h + 3), 7);
    }
    CU_ASSERT_TRUE(fdt_path_offset(fdt, "/cpus/cpu@4") < 0);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/plic@c000000", "phandle", 0), 9);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/serial@10000000", "interrupt-parent", 0), 9);
    CU_ASSERT_EQUAL(cell(fdt, "/soc/test@100000", "phandle", 0), 10);
    CU_ASSERT_EQUAL(cell(fdt, "/poweroff", "regmap", 0), 10);
}

/* riscv,isa follows misa: single letters in canonical order, then the
 * multi-letter extensions. */
static void test_isa_string(void)
{
    RISCVCPU *cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    cpu_reset(cpu, 0);
    char buf[128];
    CU_ASSERT_EQUAL(cpu_isa_string(cpu, buf, sizeof(buf)), strlen(buf));
    CU_ASSERT_STRING_EQUAL(buf, "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_zihpm_"
                           "zba_zbb_zbc_zbs_sstc");
    cpu->model_misa &= ~((1ull << ('F' - 'A')) | (1ull << ('D' - 'A')));
    cpu_isa_string(cpu, buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "rv64imac_zicntr_zicsr_zifencei_zihintpause_zihpm_"
                           "zba_zbb_zbc_zbs_sstc");
    cpu->model_misa |= (1ull << ('F' - 'A')) | (1ull << ('D' - 'A'));
    /* a short buffer is cut, NUL-terminated, and the full length returned */
    CU_ASSERT_EQUAL(cpu_isa_string(cpu, buf, 5), 71);
    CU_ASSERT_STRING_EQUAL(buf, "rv64");
    free(cpu);
}

static const UnitTest tests[] = {
    { "smp 4", test_smp },
    { "isa_string", test_isa_string },
    { "root_and_chosen", test_root_and_chosen },
    { "memory", test_memory },
    { "cpus", test_cpus },
    { "soc", test_soc },
    { "placement", test_placement },
    { "append_too_long", test_append_too_long },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("fdt", tests);
}

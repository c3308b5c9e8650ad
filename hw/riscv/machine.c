/* The riscv `virt` board: RAM, boot ROM, hart, devices, and the images
 * (firmware, kernel, initrd, device tree) placed where QEMU 7.2 puts them. */
#include "hw/riscv/machine.h"
#include "hw/riscv/machine-vmstate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/riscv/loader.h"

/* QEMU's behaviour without -bios: OpenSBI's fw_dynamic from Debian. */
#define VIRT_DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
/* RV64 kernels are placed on a 2 MiB boundary after the firmware. */
#define VIRT_KERNEL_ALIGN (2ull << 20)

#define FW_DYNAMIC_INFO_MAGIC   0x4942534full    /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S  1

static bool machine_fail(Error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool machine_fail(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vsetf(err, fmt, ap);
    va_end(ap);
    return false;
}

/* Finisher callback of sifive_test and HTIF: the main loop acts on it. */
static void machine_finish(void *opaque, int code, bool reset)
{
    Machine *m = opaque;
    if (reset) {
        m->reset_requested = true;
    } else {
        m->shutdown_requested = true;
        m->exit_code = code;
    }
    machine_request_exit(m);
}

/* Records a loaded range so reset can restore it, refusing overlaps with
 * what is already there (QEMU: "rom: requested regions overlap"). */
static bool machine_keep_range(Machine *m, uint64_t addr, uint64_t len, const char *owner,
                               const char *path, Error *err)
{
    const char *what = path ? path : "";
    for (int i = 0; i < m->nr_blobs; i++) {
        const MachineBlob *b = &m->blobs[i];
        if (addr < b->addr + b->len && b->addr < addr + len) {
            return machine_fail(err, "%s%s%s: 0x%llx-0x%llx overlaps the %s image at 0x%llx-0x%llx",
                                owner, path ? " " : "", what,
                                (unsigned long long)addr, (unsigned long long)(addr + len - 1),
                                b->owner, (unsigned long long)b->addr,
                                (unsigned long long)(b->addr + b->len - 1));
        }
    }
    if (m->nr_blobs == MACHINE_MAX_BLOBS) {
        return machine_fail(err, "%s %s: too many loaded segments", owner, what);
    }
    MachineBlob *b = &m->blobs[m->nr_blobs];
    b->data = malloc(len);
    if (!b->data || !memory_rw(&m->mem, addr, b->data, len, false, true)) {
        free(b->data);
        b->data = NULL;
        return machine_fail(err, "%s %s: cannot keep a copy of the image", owner, what);
    }
    b->addr = addr;
    b->len = len;
    b->owner = owner;
    b->path = path;
    b->seg = -1;
    m->nr_blobs++;
    return true;
}

static bool machine_keep_image(Machine *m, const LoadedImage *img, const char *owner,
                               const char *path, Error *err)
{
    for (int i = 0; i < img->nr_seg; i++) {
        if (!machine_keep_range(m, img->seg[i].addr, img->seg[i].size, owner, path, err)) {
            return false;
        }
        if (img->is_elf) {
            m->blobs[m->nr_blobs - 1].seg = i;
        }
    }
    return true;
}

/* The reset vector QEMU puts in the MROM: a0 = hartid, a1 = FDT,
 * a2 = &fw_dynamic_info, jump to start. */
static void machine_write_rom(Machine *m, uint64_t start, uint64_t kernel_entry)
{
    uint8_t rom[0x58];
    static const uint32_t code[] = {
        0x00000297,              /* auipc t0, 0 */
        0x02828613,              /* addi  a2, t0, 40 */
        0xf1402573,              /* csrr  a0, mhartid */
        0x0202b583,              /* ld    a1, 32(t0) */
        0x0182b283,              /* ld    t0, 24(t0) */
        0x00028067,              /* jr    t0 */
    };
    const uint64_t data[] = {
        start,
        m->fdt_addr,
        /* struct fw_dynamic_info */
        FW_DYNAMIC_INFO_MAGIC,
        FW_DYNAMIC_INFO_VERSION,
        kernel_entry,            /* next_addr */
        FW_DYNAMIC_NEXT_MODE_S,  /* next_mode */
        0,                       /* options */
        0,                       /* boot_hart */
    };
    memset(rom, 0, sizeof(rom));
    memcpy(rom, code, sizeof(code));          /* host is little-endian, as RISC-V */
    memcpy(rom + sizeof(code), data, sizeof(data));
    memory_rw(&m->mem, VIRT_MROM_BASE, rom, sizeof(rom), true, true);
}

static bool machine_load_firmware(Machine *m, uint64_t *start, uint64_t *kernel_start,
                                  LoadedImage *fw, Error *err)
{
    const char *bios = m->opts.bios ? m->opts.bios : VIRT_DEFAULT_BIOS;
    memset(fw, 0, sizeof(*fw));
    *start = VIRT_DRAM_BASE;
    *kernel_start = VIRT_DRAM_BASE;
    if (strcmp(bios, "none") == 0) {
        return true;
    }
    if (!m->opts.bios && access(bios, R_OK) != 0) {
        return machine_fail(err,
                            "default firmware %s: %s (install the Debian package opensbi, "
                            "or use -bios FILE or -bios none)", bios, strerror(errno));
    }
    if (!loader_load_image(&m->mem, bios, VIRT_DRAM_BASE, fw, err)) {
        error_prependf(err, "-bios ");
        return false;
    }
    if (!machine_keep_image(m, fw, "-bios", bios, err)) {
        return false;
    }
    *start = fw->entry;
    *kernel_start = (fw->high + VIRT_KERNEL_ALIGN - 1) & ~(VIRT_KERNEL_ALIGN - 1);
    return true;
}

/* QEMU 7.2: the initrd goes min(RAM/2, 128 MiB) above the kernel entry. If
 * that does not fit, it goes as high as it can below the device tree. */
static bool machine_load_initrd(Machine *m, uint64_t kernel_entry, uint64_t kernel_end,
                                Error *err)
{
    const char *path = m->opts.initrd;
    uint64_t size;
    LoadedImage img;
    if (!loader_file_size(path, &size, err)) {
        error_prependf(err, "-initrd ");
        return false;
    }
    uint64_t limit = machine_fdt_address(m->opts.ram_size, FDT_MAX_SIZE);
    uint64_t half = m->opts.ram_size / 2;
    uint64_t start = kernel_entry + (half < (128ull << 20) ? half : (128ull << 20));
    if (start + size > limit && size <= limit) {
        start = (limit - size) & PAGE_MASK;
    }
    if (start < kernel_end) {
        return machine_fail(err, "-initrd %s: initrd of %llu bytes does not fit in RAM "
                            "between the kernel (ends 0x%llx) and the device tree (0x%llx)",
                            path, (unsigned long long)size, (unsigned long long)kernel_end,
                            (unsigned long long)limit);
    }
    if (!loader_load_initrd(&m->mem, path, start, limit, &img, err)) {
        error_prependf(err, "-initrd ");
        return false;
    }
    if (!machine_keep_image(m, &img, "-initrd", path, err)) {
        return false;
    }
    m->initrd_start = img.low;
    m->initrd_end = img.high;
    return true;
}

static void machine_init_devices(Machine *m)
{
    IRQLine meip[MACHINE_MAX_HARTS], seip[MACHINE_MAX_HARTS];
    IRQLine msip[MACHINE_MAX_HARTS], mtip[MACHINE_MAX_HARTS];
    for (int h = 0; h < m->nr_harts; h++) {
        RISCVCPU *cpu = &m->harts[h];
        meip[h] = irq_line(cpu_irq_handler, cpu, IRQ_M_EXT);
        seip[h] = irq_line(cpu_irq_handler, cpu, IRQ_S_EXT);
        msip[h] = irq_line(cpu_irq_handler, cpu, IRQ_M_SOFT);
        mtip[h] = irq_line(cpu_irq_handler, cpu, IRQ_M_TIMER);
    }
    plic_init(&m->plic, &m->mem, VIRT_PLIC_BASE, m->nr_harts, meip, seip);
    clint_init(&m->clint, &m->mem, &m->clock, VIRT_CLINT_BASE, m->nr_harts, msip, mtip);
    uart16550_init(&m->uart0, &m->mem, &m->clock, VIRT_UART0_BASE, plic_input(&m->plic, VIRT_UART0_IRQ),
                   &m->serial0);
    sifive_test_init(&m->test, &m->mem, VIRT_TEST_BASE, machine_finish, m);
    goldfish_rtc_init(&m->rtc, &m->mem, &m->clock, VIRT_RTC_BASE, plic_input(&m->plic, VIRT_RTC_IRQ),
                      m->opts.rtc_base_ns ? m->opts.rtc_base_ns : clock_realtime_ns());
}

bool machine_init(Machine *m, const MachineOptions *opts, Error *err)
{
    CharBackend serial0 = m->serial0;
    memset(m, 0, sizeof(*m));
    m->serial0 = serial0;
    m->opts = *opts;
    runstate_set(&m->run, RUN_STATE_PRELAUNCH);
    if (!m->opts.machine) {
        m->opts.machine = "virt";
    }
    if (!m->opts.ram_size) {
        m->opts.ram_size = MACHINE_DEFAULT_RAM;
    }
    m->log = m->opts.log ? m->opts.log : &m->own_log;

    m->sections = savevm_state_new();
    if (!m->sections) {
        return machine_fail(err, "out of memory");
    }
    memory_init(&m->mem);
    if (!memory_add_ram(&m->mem, "riscv_virt_board.ram", VIRT_DRAM_BASE, m->opts.ram_size)) {
        return machine_fail(err, "-m %lluM: cannot allocate guest RAM: %s",
                            (unsigned long long)(m->opts.ram_size >> 20), strerror(errno));
    }
    m->rom = memory_add_rom(&m->mem, "riscv_virt_board.mrom", VIRT_MROM_BASE, VIRT_MROM_SIZE);
    if (!m->rom) {
        return machine_fail(err, "cannot allocate the boot ROM: %s", strerror(errno));
    }
    int nr_harts = m->opts.smp ? m->opts.smp : 1;
    if (nr_harts < 1 || nr_harts > MACHINE_MAX_HARTS) {
        return machine_fail(err, "Invalid SMP CPUs %d. The max CPUs supported by machine '%s' "
                            "is %d", nr_harts, m->opts.machine, MACHINE_MAX_HARTS);
    }
    for (int h = 0; h < nr_harts; h++) {
        RISCVCPU *cpu = &m->harts[h];
        if (!cpu_init(cpu, &m->mem, err)) {
            return false;
        }
        m->nr_harts = h + 1;
        cpu->hartid = (uint32_t)h;
        cpu->clock = &m->clock;
        cpu->log = m->log;
        cpu_debug_attach(cpu, &m->debug);
        if (m->opts.jit && cpu_jit_available()) {
            Error je;
            error_init(&je);
            if (!cpu_jit_set(cpu, true, &je)) {
                report_printf(&m->opts.warn, "%s; the interpreter runs hart %d", je.msg, h);
            }
        }
    }
    if (nr_harts == 1) {
        /* One hart: its own count is the time base, read directly. */
        clock_init(&m->clock, m->opts.clock_mode, m->opts.icount_shift, cpu_get_icount,
                   &m->harts[0]);
    } else {
        clock_init(&m->clock, m->opts.clock_mode, m->opts.icount_shift, machine_icount, m);
    }
    machine_set_icount_exact(m, false);   /* timers stop the hart at their deadline */
    machine_init_devices(m);
    if (!machine_init_netdevs(m, err) || !machine_init_drives(m, err)) {
        return false;
    }

    uint64_t start, kernel_start, kernel_entry = 0, kernel_end;
    LoadedImage fw, kernel;
    if (!machine_load_firmware(m, &start, &kernel_start, &fw, err)) {
        return false;
    }
    kernel_end = kernel_start;
    bool has_fw = fw.nr_seg > 0;
    memset(&kernel, 0, sizeof(kernel));
    if (m->opts.kernel) {
        if (!loader_load_image(&m->mem, m->opts.kernel, kernel_start, &kernel, err)) {
            error_prependf(err, "-kernel ");
            return false;
        }
        if (!machine_keep_image(m, &kernel, "-kernel", m->opts.kernel, err)) {
            return false;
        }
        kernel_entry = kernel.entry;
        kernel_end = kernel.high;
        if (!has_fw) {
            start = kernel_entry;
        }
    }
    /* ISA test programs talk to the host through tohost/fromhost. */
    const LoadedImage *htif_img = kernel.has_tohost ? &kernel : fw.has_tohost ? &fw : NULL;
    if (htif_img) {
        htif_init(&m->htif, &m->mem, htif_img->tohost, htif_img->fromhost, &m->serial0,
                  machine_finish, m);
        m->has_htif = true;
    }
    if (m->opts.initrd && !machine_load_initrd(m, kernel_entry, kernel_end, err)) {
        return false;
    }

    if (!machine_build_fdt(m, err)) {
        return false;
    }
    m->fdt_addr = machine_fdt_address(m->opts.ram_size, m->fdt_size);
    if (m->fdt_addr < VIRT_DRAM_BASE ||
        !memory_rw(&m->mem, m->fdt_addr, m->fdt, m->fdt_size, true, false)) {
        return machine_fail(err, "-m: RAM too small for the device tree");
    }
    if (!machine_keep_range(m, m->fdt_addr, m->fdt_size, "device tree", NULL, err)) {
        return false;
    }
    m->entry = start;
    machine_write_rom(m, start, kernel_entry);
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_reset(&m->harts[h], VIRT_MROM_BASE);   /* each reads its mhartid into a0 */
    }
    return true;
}

void machine_reset(Machine *m)
{
    for (int i = 0; i < m->nr_blobs; i++) {
        memory_rw(&m->mem, m->blobs[i].addr, m->blobs[i].data, m->blobs[i].len, true, true);
    }
    plic_reset(&m->plic);
    clint_reset(&m->clint);
    uart16550_reset(&m->uart0);
    goldfish_rtc_reset(&m->rtc);
    machine_reset_drives(m);
    if (m->has_htif) {
        htif_reset(&m->htif);
    }
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_resv_release(&m->harts[h]);      /* reset drops the reservation */
        cpu_reset(&m->harts[h], VIRT_MROM_BASE);
        cpu_state_changed(&m->harts[h]);
    }
    m->sched_cur = 0;
    m->sched_left = 0;
    m->reset_requested = false;
    m->state_gen++;
}

void machine_log_set_mask(Machine *m, unsigned mask)
{
    unsigned old = log_set_mask(m->log, mask);
    for (int i = 0; i < m->nr_harts; i++) {
        cpu_log_mask_changed(&m->harts[i], old);
    }
}

void machine_load_keeps_code(Machine *m, bool on)
{
    for (int h = 0; h < m->nr_harts; h++) {
        m->harts[h].load_keeps_code = on;
    }
}

void machine_state_changed(Machine *m)
{
    m->state_gen++;
    for (int h = 0; h < m->nr_harts; h++) {
        cpu_state_changed(&m->harts[h]);
        if (m->nr_harts > 1) {
            cpu_resv_protect(&m->harts[h]);   /* a loaded reservation, watched anew */
        }
    }
}

void machine_destroy(Machine *m)
{
    machine_destroy_drives(m);
    machine_destroy_nets(m);
    savevm_state_free(m->sections);
    m->sections = NULL;
    for (int i = 0; i < m->nr_harts; i++) {
        cpu_destroy(&m->harts[i]);
    }
    m->nr_harts = 0;
    memory_destroy(&m->mem);
    for (int i = 0; i < m->nr_blobs; i++) {
        free(m->blobs[i].data);
    }
    m->nr_blobs = 0;
    free(m->fdt);
    m->fdt = NULL;
    log_close(&m->own_log);
}

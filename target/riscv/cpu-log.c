/* The CPU's debug-log output (util/log.h): register dumps (cpu, and the
 * monitor's info registers), the trap line (int), the per-block trace (exec)
 * and the translated code (in_asm), all in QEMU's riscv formats. Only called
 * when the item is on, so nothing here is on a fast path. */
#include "target/riscv/tb.h"

#include <stdarg.h>
#include <stdio.h>

#include "target/riscv/disas.h"
#include "util/log.h"

/* The CSRs QEMU's riscv_cpu_dump_state shows for RV64 without H or V. */
static const char *const dump_csrs[] = {
    "mhartid", "mstatus", "mip", "mie", "mideleg", "medeleg", "mtvec", "stvec",
    "mepc", "sepc", "mcause", "scause", "mtval", "stval", "mscratch", "sscratch", "satp",
};

typedef struct DumpBuf {
    char *buf;
    size_t len, used;
} DumpBuf;

static void dump_add(DumpBuf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dump_add(DumpBuf *d, const char *fmt, ...)
{
    if (d->used >= d->len) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->buf + d->used, d->len - d->used, fmt, ap);
    va_end(ap);
    if (n > 0) {
        d->used += (size_t)n < d->len - d->used ? (size_t)n : d->len - d->used - 1;
    }
}

size_t cpu_dump_state(RISCVCPU *cpu, uint64_t pc, char *buf, size_t len)
{
    DumpBuf d = { buf, len, 0 };
    if (len) {
        buf[0] = '\0';
    }
    dump_add(&d, " %s %016llx\n", "pc      ", (unsigned long long)pc);
    for (size_t i = 0; i < sizeof(dump_csrs) / sizeof(dump_csrs[0]); i++) {
        uint64_t v;
        int csr = cpu_csr_by_name(dump_csrs[i]);
        if (csr >= 0 && cpu_csr_peek(cpu, csr, &v)) {
            dump_add(&d, " %-8s %016llx\n", dump_csrs[i], (unsigned long long)v);
        }
    }
    for (int i = 0; i < 32; i++) {
        char name[16];
        snprintf(name, sizeof(name), "x%d/%s", i, cpu_gpr_names[i]);
        dump_add(&d, " %-8s %016llx%s", name, (unsigned long long)cpu->env.gpr[i],
                 (i & 3) == 3 ? "\n" : "");
    }
    return d.used;
}

void cpu_log_mask_changed(RISCVCPU *cpu, unsigned old)
{
    unsigned mask = cpu->log->mask;
    /* Blocks carry their trace hooks from translation time: retranslate so
     * the new items apply from the next block on (and in_asm shows the code
     * that runs from now, not only code never seen before). */
    if ((old ^ mask) & LOG_TB_MASK) {
        cpu_tb_flush(cpu);
    }
}

/* QEMU's riscv_excp_names and riscv_intr_names. */
static const char *trap_name(int cause, bool irq)
{
    static const char *const excp[] = {
        "misaligned_fetch", "fault_fetch", "illegal_instruction", "breakpoint",
        "misaligned_load", "fault_load", "misaligned_store", "fault_store",
        "user_ecall", "supervisor_ecall", "hypervisor_ecall", "machine_ecall",
        "exec_page_fault", "load_page_fault", "reserved", "store_page_fault",
    };
    static const char *const intr[] = {
        "u_software", "s_software", "vs_software", "m_software",
        "u_timer", "s_timer", "vs_timer", "m_timer",
        "u_external", "s_external", "vs_external", "m_external",
    };
    if (irq) {
        return cause >= 0 && cause < 12 ? intr[cause] : "(unknown)";
    }
    return cause >= 0 && cause < 16 ? excp[cause] : "(unknown)";
}

void riscv_log_trap(RISCVCPU *cpu, bool irq, int cause, uint64_t tval)
{
    /* env.pc is still the interrupted instruction: it becomes xepc. */
    log_printf(cpu->log, "riscv_cpu_do_interrupt: hart:%u, async:%d, cause:%016llx, epc:0x%016llx, "
               "tval:0x%016llx, desc=%s\n",
               (unsigned)cpu->hartid, irq ? 1 : 0, (unsigned long long)cause, (unsigned long long)cpu->env.pc,
               (unsigned long long)tval, trap_name(cause, irq));
}

void exec_log_tb(RISCVCPU *cpu, const TB *tb, uint64_t vpc)
{
    if (cpu->log->mask & LOG_EXEC) {
        /* QEMU prints the host code address here; the block's offset in the
         * arena takes its place so that the log is the same every run. */
        size_t off = (size_t)((const uint8_t *)tb - cpu->tbc->arena);
        log_printf(cpu->log, "Trace %u: 0x%08zx [00000000/%016llx/%08x/%08x] \n",
                   (unsigned)cpu->hartid, off, (unsigned long long)vpc, (unsigned)tb->priv, (unsigned)tb->n_insns);
    }
    if (cpu->log->mask & LOG_CPU) {
        char buf[2048];
        cpu_dump_state(cpu, vpc, buf, sizeof(buf));
        log_write(cpu->log, buf);
    }
}

void exec_log_in_asm(RISCVCPU *cpu, const TB *tb, uint64_t vpc, const uint8_t *code)
{
    log_printf(cpu->log, "----------------\nIN: \nPriv: %u; Virt: 0\n", (unsigned)tb->priv);
    for (unsigned off = 0; off < tb->size;) {
        char line[160];
        unsigned avail = tb->size - off;
        int len = disas_line(vpc + off, code + off, avail < 4 ? avail : 4, line, sizeof(line));
        log_printf(cpu->log, "%s\n", line);
        off += (unsigned)len;
    }
    log_write(cpu->log, "\n");
}

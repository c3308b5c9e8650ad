/* Memory commands: x, xp (with the disassembler for /i), memsave, pmemsave,
 * and print. Output formats are QEMU's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/riscv/machine.h"
#include "monitor/monitor-int.h"


#define MEMSAVE_MAX (1ull << 30)

/* Virtual addresses go through the monitor's current hart (`cpu N`). */
static bool mem_read(Monitor *mon, Machine *m, uint64_t addr, void *buf, uint64_t len, bool phys)
{
    if (phys) {
        return memory_rw(&m->mem, addr, buf, len, false, false);
    }
    return cpu_memory_rw_debug(hmp_cpu_current(mon), addr, buf, len, false);
}

void hmp_printc(Monitor *mon, int c)
{
    switch (c) {
    case '\'': monitor_puts(mon, "'\\''"); break;
    case '\\': monitor_puts(mon, "'\\\\'"); break;
    case '\n': monitor_puts(mon, "'\\n'"); break;
    case '\r': monitor_puts(mon, "'\\r'"); break;
    default:
        if (c >= 32 && c <= 126) {
            monitor_printf(mon, "'%c'", c);
        } else {
            monitor_printf(mon, "'\\x%02x'", c & 0xff);
        }
        break;
    }
}

static void dump_insns(Monitor *mon, Machine *m, const MonFormat *f, uint64_t addr, bool phys)
{
    for (int i = 0; i < f->count; i++) {
        uint8_t buf[4];
        size_t avail = 4;
        if (!mem_read(mon, m, addr, buf, 4, phys)) {
            avail = 2;           /* the last halfword before unmapped memory */
            if (!mem_read(mon, m, addr, buf, 2, phys)) {
                monitor_error(mon, "Cannot access memory at 0x%016llx", (unsigned long long)addr);
                return;
            }
        }
        char line[160];
        int len = disas_line(addr, buf, avail, line, sizeof(line));
        monitor_printf(mon, "%s\n", line);
        addr += (uint64_t)len;
    }
}

static void dump_strings(Monitor *mon, Machine *m, const MonFormat *f, uint64_t addr, bool phys)
{
    for (int i = 0; i < f->count; i++) {
        uint8_t c;
        if (!mem_read(mon, m, addr, &c, 1, phys)) {
            monitor_error(mon, "Cannot access memory at 0x%016llx", (unsigned long long)addr);
            return;
        }
        monitor_printf(mon, "%016llx: \"", (unsigned long long)addr);
        for (int n = 0; n < 1024; n++) {
            if (!mem_read(mon, m, addr, &c, 1, phys)) {
                monitor_puts(mon, "\"\n");
                monitor_error(mon, "Cannot access memory at 0x%016llx", (unsigned long long)addr);
                return;
            }
            addr++;
            if (!c) {
                break;
            }
            if (c == '"' || c == '\\') {
                monitor_printf(mon, "\\%c", c);
            } else if (c == '\n') {
                monitor_puts(mon, "\\n");
            } else if (c == '\r') {
                monitor_puts(mon, "\\r");
            } else if (c >= 32 && c <= 126) {
                monitor_printf(mon, "%c", c);
            } else {
                monitor_printf(mon, "\\x%02x", c);
            }
        }
        monitor_puts(mon, "\"\n");
    }
}

static void memory_dump(Monitor *mon, const MonFormat *f, uint64_t addr, bool phys)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    if (f->format == 'i') {
        dump_insns(mon, m, f, addr, phys);
        return;
    }
    if (f->format == 's') {
        dump_strings(mon, m, f, addr, phys);
        return;
    }
    int wsize = f->format == 'c' ? 1 : f->size;
    int line_size = wsize == 1 ? 8 : 16;
    int max_digits;
    switch (f->format) {
    case 'o': max_digits = (wsize * 8 + 2) / 3; break;
    case 'u':
    case 'd': max_digits = (wsize * 8 * 10 + 32) / 33; break;
    default: max_digits = wsize * 2; break;
    }
    uint64_t len = (uint64_t)wsize * (uint64_t)f->count;
    while (len > 0) {
        int l = len < (uint64_t)line_size ? (int)len : line_size;
        uint8_t buf[16];
        if (!mem_read(mon, m, addr, buf, (uint64_t)l, phys)) {
            monitor_error(mon, "Cannot access memory at 0x%016llx", (unsigned long long)addr);
            return;
        }
        monitor_printf(mon, "%016llx:", (unsigned long long)addr);
        for (int i = 0; i < l; i += wsize) {
            uint64_t v = 0;
            for (int b = wsize - 1; b >= 0; b--) {
                v = v << 8 | buf[i + b];         /* the guest is little-endian */
            }
            monitor_puts(mon, " ");
            switch (f->format) {
            case 'o':
                monitor_printf(mon, "%#*llo", max_digits, (unsigned long long)v);
                break;
            case 'u':
                monitor_printf(mon, "%*llu", max_digits, (unsigned long long)v);
                break;
            case 'd': {
                int sh = 64 - wsize * 8;
                int64_t sv = sh ? (int64_t)(v << sh) >> sh : (int64_t)v;
                monitor_printf(mon, "%*lld", max_digits, (long long)sv);
                break;
            }
            case 'c':
                hmp_printc(mon, (int)v);
                break;
            default:
                monitor_printf(mon, "0x%0*llx", max_digits, (unsigned long long)v);
                break;
            }
        }
        monitor_puts(mon, "\n");
        addr += (uint64_t)l;
        len -= (uint64_t)l;
    }
}

void hmp_x(Monitor *mon, const MonArgs *a)
{
    monitor_set_last_format(mon, &a->fmt);
    memory_dump(mon, &a->fmt, (uint64_t)mon_arg_int(a, "addr", 0), false);
}

void hmp_xp(Monitor *mon, const MonArgs *a)
{
    monitor_set_last_format(mon, &a->fmt);
    memory_dump(mon, &a->fmt, (uint64_t)mon_arg_int(a, "addr", 0), true);
}

static void memsave(Monitor *mon, const MonArgs *a, bool phys)
{
    Machine *m = hmp_machine(mon);
    if (!m) {
        return;
    }
    uint64_t addr = (uint64_t)mon_arg_int(a, "addr", 0);
    uint64_t size = (uint64_t)mon_arg_int(a, "size", 0);
    const char *file = mon_arg_str(a, "filename", "");
    if (size > MEMSAVE_MAX) {
        monitor_error(mon, "size too large (limit 1 GiB)");
        return;
    }
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        monitor_error(mon, "could not open '%s': %s", file, strerror(errno));
        return;
    }
    uint8_t buf[65536];          /* one chunk; handlers run on the main thread's big stack */
    for (uint64_t off = 0; off < size;) {
        uint64_t l = size - off < sizeof(buf) ? size - off : sizeof(buf);
        if (!mem_read(mon, m, addr + off, buf, l, phys)) {
            monitor_error(mon, "Invalid addr 0x%016llx/size %llu specified",
                          (unsigned long long)addr, (unsigned long long)size);
            close(fd);
            return;
        }
        for (uint64_t done = 0; done < l;) {
            ssize_t w = write(fd, buf + done, l - done);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                monitor_error(mon, "writing '%s': %s", file, w < 0 ? strerror(errno) : "short write");
                close(fd);
                return;
            }
            done += (uint64_t)w;
        }
        off += l;
    }
    if (close(fd) != 0) {
        monitor_error(mon, "writing '%s': %s", file, strerror(errno));
    }
}

void hmp_memsave(Monitor *mon, const MonArgs *a)
{
    memsave(mon, a, false);
}

void hmp_pmemsave(Monitor *mon, const MonArgs *a)
{
    memsave(mon, a, true);
}

void hmp_print(Monitor *mon, const MonArgs *a)
{
    uint64_t v = (uint64_t)mon_arg_int(a, "expr", 0);
    /* Only the format letter applies; QEMU's print has no size. Without /FMT
     * it prints hex, whatever x last used (x/i must not break p $pc). */
    char format = mon_arg_present(a, "fmt") ? a->fmt.format : 'x';
    switch (format) {
    case 'o': monitor_printf(mon, "%#llo\n", (unsigned long long)v); break;
    case 'u': monitor_printf(mon, "%llu\n", (unsigned long long)v); break;
    case 'd': monitor_printf(mon, "%lld\n", (long long)v); break;
    case 'c': hmp_printc(mon, (int)(v & 0xff)); monitor_puts(mon, "\n"); break;
    case 'x': monitor_printf(mon, "%#llx\n", (unsigned long long)v); break;
    default:
        monitor_error(mon, "invalid format '%c' for print (use x d u o c)", format);
        return;
    }
}

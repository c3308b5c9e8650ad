/* Migration test guest, after the idea of QEMU's migration-test guest:
 * one byte per 4 KiB page over a RAM range is incremented, page after page,
 * in an endless loop, so every pass dirties every page of the range.
 *
 * Range: from the first page above this image to the end of RAM (the
 * /memory node of the device tree in a1), or shorter with mb=N.
 * Options from /chosen/bootargs (-append), separated by spaces:
 *   idle      write every page once, then only wake on the timer
 *   mb=N      use at most N MiB of the range (the working set)
 *   top=N     use only the last N MiB of RAM (pages far from its start,
 *             e.g. above 4 GiB of a big guest)
 *   delay=N   spin N loop iterations after each page (slows the dirty rate
 *             in proportion to guest CPU speed, so CPU throttling slows it)
 *   period=N  marker period in ms of guest time (default 100)
 * Output: one line "migtest: range 0xSTART 0xEND pages N mode M", then a
 * marker line "B <n> passes <p>" every period, n counting up over the
 * guest's life (a migrated guest goes on from the source's n), p the
 * number of complete passes over the range so far.
 *
 * Self-check: before incrementing a page the guest checks that it holds
 * the value of the current pass (pages behind it hold pass+1, pages ahead
 * hold pass), and in idle mode every marker re-reads the whole range.  A
 * page lost or left stale by a migration shows up as
 * "migtest: FAIL page 0x... has X expected Y" and exit code 1. */
#include "virt.h"

#define PAGE 4096UL

extern char __end[];

static uint64_t ram_end;
static const char *bootargs;

/* ---- minimal flattened device tree walk (big endian, version 17) ---- */
static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int str_prefix(const char *s, const char *pre)
{
    while (*pre)
        if (*s++ != *pre++)
            return 0;
    return 1;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* Finds /memory@*: reg (2 address and 2 size cells on virt) and
 * /chosen: bootargs.  Only top-level nodes are looked at (depth 1). */
static void fdt_scan(const uint8_t *fdt)
{
    if (!fdt || be32(fdt) != 0xd00dfeed)
        return;
    const uint8_t *st = fdt + be32(fdt + 8);
    const char *strs = (const char *)fdt + be32(fdt + 12);
    int depth = 0, in_mem = 0, in_chosen = 0;
    for (const uint8_t *p = st;;) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) {                       /* FDT_BEGIN_NODE */
            const char *name = (const char *)p;
            depth++;
            in_mem = depth == 2 && str_prefix(name, "memory");
            in_chosen = depth == 2 && str_eq(name, "chosen");
            while (*p)
                p++;
            p = (const uint8_t *)(((uintptr_t)p + 4) & ~3UL);
        } else if (tok == 2) {                /* FDT_END_NODE */
            depth--;
            in_mem = in_chosen = 0;
        } else if (tok == 3) {                /* FDT_PROP */
            uint32_t len = be32(p), nameoff = be32(p + 4);
            const uint8_t *val = p + 8;
            const char *pname = strs + nameoff;
            if (in_mem && str_eq(pname, "reg") && len >= 16) {
                uint64_t base = (uint64_t)be32(val) << 32 | be32(val + 4);
                uint64_t size = (uint64_t)be32(val + 8) << 32 | be32(val + 12);
                ram_end = base + size;
            } else if (in_chosen && str_eq(pname, "bootargs") && len) {
                bootargs = (const char *)val;
            }
            p = (const uint8_t *)(((uintptr_t)val + len + 3) & ~3UL);
        } else if (tok == 4) {                /* FDT_NOP */
        } else {                              /* FDT_END or garbage */
            return;
        }
    }
}

/* Value of "key=N" (decimal) in the bootargs, or dflt; "key" alone gives 1. */
static uint64_t opt(const char *key, uint64_t dflt)
{
    const char *s = bootargs;
    if (!s)
        return dflt;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *k = key, *w = s;
        while (*k && *w == *k)
            k++, w++;
        if (!*k && (*w == '=' || *w == ' ' || !*w)) {
            if (*w != '=')
                return 1;
            uint64_t v = 0;
            for (w++; *w >= '0' && *w <= '9'; w++)
                v = v * 10 + (uint64_t)(*w - '0');
            return v;
        }
        while (*s && *s != ' ')
            s++;
    }
    return dflt;
}

/* Written before the range is touched, kept in the image (migrated with it). */
static uint64_t marker_n, next_marker, period_ticks, passes;

static void marker_due(void)
{
    uint64_t now = mtime();
    if (now < next_marker)
        return;
    puts_raw("B ");
    put_dec(++marker_n);
    puts_raw(" passes ");
    put_dec(passes);
    puts_raw("\n");
    next_marker = now + period_ticks;
}

static __attribute__((noreturn)) void fail(volatile uint8_t *p, unsigned have, unsigned want)
{
    puts_raw("migtest: FAIL page ");
    put_hex((uint64_t)(uintptr_t)p);
    puts_raw(" has ");
    put_dec(have);
    puts_raw(" expected ");
    put_dec(want);
    puts_raw("\n");
    virt_exit(1);
}

static void spin(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        __asm__ volatile("");
}

int main(unsigned long hartid, const void *dtb)
{
    (void)hartid;
    uart_init();
    fdt_scan(dtb);
    uint64_t start = ((uint64_t)(uintptr_t)__end + PAGE - 1) & ~(PAGE - 1);
    uint64_t end = ram_end ? ram_end : RAM_BASE + 16 * 1024 * 1024;
    uint64_t mb = opt("mb", 0), delay = opt("delay", 0);
    int idle = (int)opt("idle", 0);
    uint64_t top = opt("top", 0);
    if (top && end - top * 1024 * 1024 > start)
        start = end - top * 1024 * 1024;
    if (mb && start + mb * 1024 * 1024 < end)
        end = start + mb * 1024 * 1024;
    period_ticks = opt("period", 100) * (TIMEBASE_HZ / 1000);
    puts_raw("migtest: range ");
    put_hex(start);
    puts_raw(" ");
    put_hex(end);
    puts_raw(" pages ");
    put_dec((end - start) / PAGE);
    puts_raw(idle ? " mode idle\n" : " mode dirty\n");

    /* The device tree may lie in the range: it has been read, start clean. */
    for (uint64_t a = start; a < end; a += PAGE)
        *(volatile uint8_t *)(uintptr_t)a = 0;
    next_marker = mtime();
    marker_due();

    if (idle) {
        for (uint64_t a = start; a < end; a += PAGE)
            *(volatile uint8_t *)(uintptr_t)a = 1;
        csr_write(mie, MIP_MTIP);             /* wakes wfi; MIE stays off */
        for (;;) {
            set_mtimecmp(next_marker);
            while (mtime() < next_marker)
                __asm__ volatile("wfi");
            marker_due();
            for (uint64_t a = start; a < end; a += PAGE) {
                unsigned v = *(volatile uint8_t *)(uintptr_t)a;
                if (v != 1)
                    fail((volatile uint8_t *)(uintptr_t)a, v, 1);
            }
        }
    }
    for (uint8_t pass = 0;; pass++) {
        unsigned n = 0;
        for (uint64_t a = start; a < end; a += PAGE) {
            volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a;
            uint8_t v = *p;
            if (v != pass)
                fail(p, v, pass);
            *p = (uint8_t)(v + 1);
            if (delay)
                spin(delay);
            if (!(++n & 255))
                marker_due();
        }
        passes++;
        marker_due();
    }
}

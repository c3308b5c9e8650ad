/* HTIF: tohost/fromhost mailboxes of ISA test programs, trapped by MMIO
 * windows laid over RAM. Bytes of a window that are neither mailbox stay
 * plain RAM. */
#include "hw/htif.h"

#include <string.h>

#define HTIF_WINDOW      16
#define HTIF_DEV_SYSCALL 0
#define HTIF_DEV_CONSOLE 1
#define HTIF_CMD_PUTCHAR 1
#define HTIF_SYS_WRITE   64
#define HTIF_ENOSYS      38

/* The byte at guest address addr: a mailbox byte, or NULL for plain RAM. */
static uint8_t *htif_reg_byte(Htif *s, uint64_t addr)
{
    if (addr - s->tohost_addr < 8) {
        return (uint8_t *)&s->st.tohost + (addr - s->tohost_addr);
    }
    if (s->fromhost_addr && addr - s->fromhost_addr < 8) {
        return (uint8_t *)&s->st.fromhost + (addr - s->fromhost_addr);
    }
    return NULL;
}

static uint8_t *htif_ram_byte(Htif *s, uint64_t addr)
{
    return memory_in_ram(s->mem, addr, 1) ? s->mem->ram->host + (addr - s->mem->ram->base) : NULL;
}

/* The bookkeeping memory_write() would do for a RAM byte. */
static void htif_ram_written(Htif *s, uint64_t addr)
{
    memory_ram_written(s->mem, addr, 1);
}

/* riscv-tests' syscall proxy: payload points at uint64_t magic_mem[8] =
 * {num, a0, a1, a2, ...}; the result goes back into magic_mem[0]. Only
 * write(2) to stdout/stderr is served. */
static void htif_syscall(Htif *s, uint64_t addr)
{
    uint64_t args[4];
    if (!memory_rw(s->mem, addr, args, sizeof(args), false, false)) {
        return;
    }
    uint64_t ret = (uint64_t)-HTIF_ENOSYS;
    if (args[0] == HTIF_SYS_WRITE && (args[1] == 1 || args[1] == 2)) {
        uint8_t buf[256];
        uint64_t done = 0;
        while (done < args[3]) {
            uint64_t n = args[3] - done < sizeof(buf) ? args[3] - done : sizeof(buf);
            if (!memory_rw(s->mem, args[2] + done, buf, n, false, false)) {
                break;
            }
            if (s->chr) {
                chardev_write(s->chr, buf, n);
            }
            done += n;
        }
        ret = done;
    }
    memory_rw(s->mem, addr, &ret, sizeof(ret), true, false);
}

static void htif_command(Htif *s)
{
    uint64_t val = s->st.tohost;
    uint8_t dev = val >> 56;
    uint8_t cmd = (val >> 48) & 0xff;
    uint64_t payload = val & 0xffffffffffffull;

    if (val == 0) {
        return;
    }
    if (dev == HTIF_DEV_SYSCALL && cmd == 0) {
        if (payload & 1) {
            s->st.tohost = 0;
            if (s->finish) {
                s->finish(s->opaque, (int)(payload >> 1), false);
            }
            return;
        }
        htif_syscall(s, payload);
    } else if (dev == HTIF_DEV_CONSOLE && cmd == HTIF_CMD_PUTCHAR) {
        uint8_t c = payload & 0xff;
        if (s->chr) {
            chardev_write(s->chr, &c, 1);
        }
    } else {
        s->st.tohost = 0;               /* unknown device or command: dropped */
        return;
    }
    s->st.tohost = 0;
    s->st.fromhost = ((uint64_t)dev << 56) | ((uint64_t)cmd << 48) | 1;
}

/* Accesses by guest address; mailbox bytes are host-endian (little). */
static bool htif_read(Htif *s, uint64_t base, unsigned size, uint64_t *val)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t addr = base + i;
        uint8_t *p = htif_reg_byte(s, addr);
        if (!p) {
            p = htif_ram_byte(s, addr);
        }
        v |= (uint64_t)(p ? *p : 0) << (8 * i);
    }
    *val = v;
    return true;
}

static bool htif_write(Htif *s, uint64_t base, unsigned size, uint64_t val)
{
    bool tohost_high = false;
    for (unsigned i = 0; i < size; i++) {
        uint64_t addr = base + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t *p = htif_reg_byte(s, addr);
        if (p) {
            *p = b;
            if (addr - s->tohost_addr >= 4 && addr - s->tohost_addr < 8) {
                tohost_high = true;
            }
        } else if ((p = htif_ram_byte(s, addr)) != NULL) {
            htif_ram_written(s, addr);
            *p = b;
        }
    }
    /* A 64-bit store, or the high half of a pair of 32-bit stores, completes
     * a command. */
    if (tohost_high) {
        htif_command(s);
    }
    return true;
}

/* The ops get offsets within their window; each window has its own ops that
 * turn them back into guest addresses. */
static bool htif_to_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    Htif *s = opaque;
    return htif_read(s, s->tohost_addr + offset, size, val);
}

static bool htif_to_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    Htif *s = opaque;
    return htif_write(s, s->tohost_addr + offset, size, val);
}

static bool htif_from_read(void *opaque, uint64_t offset, unsigned size, uint64_t *val)
{
    Htif *s = opaque;
    return htif_read(s, s->fromhost_addr + offset, size, val);
}

static bool htif_from_write(void *opaque, uint64_t offset, unsigned size, uint64_t val)
{
    Htif *s = opaque;
    return htif_write(s, s->fromhost_addr + offset, size, val);
}

static const MemoryRegionOps htif_tohost_ops = {
    .read = htif_to_read,
    .write = htif_to_write,
    .min_size = 1,
    .max_size = 8,
};

static const MemoryRegionOps htif_fromhost_ops = {
    .read = htif_from_read,
    .write = htif_from_write,
    .min_size = 1,
    .max_size = 8,
};

void htif_reset(Htif *s)
{
    memset(&s->st, 0, sizeof(s->st));
}

void htif_init(Htif *s, PhysMemory *mem, uint64_t tohost_addr, uint64_t fromhost_addr,
               CharBackend *chr, void (*finish)(void *opaque, int code, bool reset),
               void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->tohost_addr = tohost_addr;
    s->fromhost_addr = fromhost_addr;
    s->chr = chr;
    s->mem = mem;
    s->finish = finish;
    s->opaque = opaque;
    /* Priority 1: the windows win over the RAM below them. */
    memory_add_mmio(mem, "htif-tohost", tohost_addr, HTIF_WINDOW, &htif_tohost_ops, s, 1);
    if (fromhost_addr && fromhost_addr - tohost_addr >= HTIF_WINDOW) {
        /* 8 bytes only, so it cannot overlap a tohost window just above it. */
        memory_add_mmio(mem, "htif-fromhost", fromhost_addr, 8, &htif_fromhost_ops, s, 1);
    }
    htif_reset(s);
}

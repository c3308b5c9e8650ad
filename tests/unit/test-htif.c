/* HTIF: exit, console, the syscall proxy, and the MMIO windows over RAM. */
#include "hw/htif.h"
#include "tests/unit/unit.h"

#include <string.h>

#define RAM 0x80000000ull
#define TOHOST (RAM + 0x1000)
#define FROMHOST (RAM + 0x1040)
#define HTIF_CMD(dev, cmd, payload) (((uint64_t)(dev) << 56) | ((uint64_t)(cmd) << 48) | (payload))

static PhysMemory mem;
static CharBackend chr;
static Htif htif;
static uint8_t out[256];
static size_t out_len;
static int calls, last_code;
static bool last_reset;

static void rec_write(CharBackend *be, const uint8_t *buf, size_t len)
{
    memcpy(out + out_len, buf, len);
    out_len += len;
}

static void rec_finish(void *opaque, int code, bool reset)
{
    calls++;
    last_code = code;
    last_reset = reset;
}

static void setup_at(uint64_t fromhost)
{
    memory_init(&mem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(memory_add_ram(&mem, "ram", RAM, 0x100000));
    chardev_init_null(&chr, "test");
    chr.host_write = rec_write;
    out_len = 0;
    calls = 0;
    last_code = -1;
    htif_init(&htif, &mem, TOHOST, fromhost, &chr, rec_finish, NULL);
}

static void setup(void)
{
    setup_at(FROMHOST);
}

static void teardown(void)
{
    memory_destroy(&mem);
}

static uint64_t rd(uint64_t addr, unsigned size)
{
    uint64_t v = 0xdead;
    CU_ASSERT_TRUE(memory_read(&mem, addr, size, &v));
    return v;
}

static void wr(uint64_t addr, unsigned size, uint64_t v)
{
    CU_ASSERT_TRUE(memory_write(&mem, addr, size, v));
}

static void test_exit_64(void)
{
    setup();
    wr(TOHOST, 8, (42 << 1) | 1);
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_EQUAL(last_code, 42);
    CU_ASSERT_FALSE(last_reset);
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 0);
    teardown();
}

static void test_exit_halves(void)
{
    setup();
    wr(TOHOST, 4, 1);                       /* pass: code 0 */
    CU_ASSERT_EQUAL(calls, 0);              /* low half alone does nothing */
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 1);
    wr(TOHOST + 4, 4, 0);
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_EQUAL(last_code, 0);
    teardown();
}

static void test_putchar(void)
{
    setup();
    wr(TOHOST, 8, HTIF_CMD(1, 1, 'A'));
    wr(TOHOST, 8, HTIF_CMD(1, 1, 0x100 | 'B'));   /* only the low byte */
    CU_ASSERT_EQUAL(out_len, 2);
    CU_ASSERT_EQUAL(memcmp(out, "AB", 2), 0);
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 0);
    CU_ASSERT_EQUAL(rd(FROMHOST, 8), HTIF_CMD(1, 1, 1));
    wr(FROMHOST, 8, 0);                     /* the guest acknowledges */
    CU_ASSERT_EQUAL(rd(FROMHOST, 8), 0);
    CU_ASSERT_EQUAL(calls, 0);
    teardown();
}

static void test_syscall_write(void)
{
    setup();
    uint64_t magic = RAM + 0x2000, buf = RAM + 0x3000;
    uint64_t args[4] = { 64, 1, buf, 5 };
    CU_ASSERT_TRUE(memory_rw(&mem, buf, "hello", 5, true, false));
    CU_ASSERT_TRUE(memory_rw(&mem, magic, args, sizeof(args), true, false));
    wr(TOHOST, 8, magic);
    CU_ASSERT_EQUAL(out_len, 5);
    CU_ASSERT_EQUAL(memcmp(out, "hello", 5), 0);
    uint64_t ret = 0;
    CU_ASSERT_TRUE(memory_rw(&mem, magic, &ret, 8, false, false));
    CU_ASSERT_EQUAL(ret, 5);
    CU_ASSERT_EQUAL(rd(FROMHOST, 8), 1);
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 0);
    CU_ASSERT_EQUAL(calls, 0);

    args[0] = 93;                           /* anything else: -ENOSYS */
    CU_ASSERT_TRUE(memory_rw(&mem, magic, args, sizeof(args), true, false));
    wr(TOHOST, 8, magic);
    CU_ASSERT_TRUE(memory_rw(&mem, magic, &ret, 8, false, false));
    CU_ASSERT_EQUAL(ret, (uint64_t)-38);
    wr(TOHOST, 8, 0x7ff000000000ull);       /* a pointer outside RAM: ignored */
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_EQUAL(out_len, 5);
    teardown();
}

static void test_unknown_device(void)
{
    setup();
    wr(TOHOST, 8, HTIF_CMD(5, 2, 9));
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 0);
    CU_ASSERT_EQUAL(rd(FROMHOST, 8), 0);
    CU_ASSERT_EQUAL(out_len, 0);
    CU_ASSERT_EQUAL(calls, 0);
    teardown();
}

static void test_windows_over_ram(void)
{
    setup();
    CU_ASSERT_EQUAL(memory_find(&mem, TOHOST)->kind, MR_MMIO);
    CU_ASSERT_EQUAL(memory_find(&mem, TOHOST + 15)->kind, MR_MMIO);
    CU_ASSERT_EQUAL(memory_find(&mem, TOHOST + 16)->kind, MR_RAM);
    CU_ASSERT_EQUAL(memory_find(&mem, FROMHOST + 7)->kind, MR_MMIO);
    CU_ASSERT_EQUAL(memory_find(&mem, FROMHOST + 8)->kind, MR_RAM);
    bool rom;
    CU_ASSERT_PTR_NULL(memory_page_host(&mem, TOHOST, &rom));   /* the page goes slow */
    CU_ASSERT_PTR_NOT_NULL(memory_page_host(&mem, RAM, &rom));
    /* Bytes of the window that are not mailboxes are still RAM. */
    wr(TOHOST + 8, 8, 0x1122334455667788ull);
    CU_ASSERT_EQUAL(rd(TOHOST + 8, 8), 0x1122334455667788ull);
    uint64_t raw;
    memcpy(&raw, mem.ram->host + (TOHOST + 8 - RAM), 8);
    CU_ASSERT_EQUAL(raw, 0x1122334455667788ull);
    /* An access straddling tohost and RAM. */
    wr(TOHOST + 6, 4, 0xaabbccdd);
    CU_ASSERT_EQUAL(htif.st.tohost, 0);     /* device 0xcc: unknown, dropped */
    CU_ASSERT_EQUAL(rd(TOHOST + 8, 2), 0xaabb);
    teardown();
}

static void test_fromhost_in_window(void)
{
    setup_at(TOHOST + 8);
    CU_ASSERT_EQUAL(mem.nr_regions, 2);     /* RAM + one window */
    wr(TOHOST, 8, HTIF_CMD(1, 1, 'x'));
    CU_ASSERT_EQUAL(rd(TOHOST + 8, 8), HTIF_CMD(1, 1, 1));
    CU_ASSERT_EQUAL(htif.st.fromhost, HTIF_CMD(1, 1, 1));
    teardown();

    setup_at(0);                            /* no fromhost symbol */
    CU_ASSERT_EQUAL(mem.nr_regions, 2);
    wr(TOHOST, 8, HTIF_CMD(1, 1, 'y'));
    CU_ASSERT_EQUAL(out_len, 1);
    teardown();
}

static uint64_t hook_addr;
static int hook_hits;

static void rec_code_write(void *opaque, uint64_t paddr, uint64_t len)
{
    hook_hits++;
    hook_addr = paddr;
}

static void test_code_page_write(void)
{
    setup();
    wr(TOHOST + 12, 4, 1);                  /* no hook installed: no crash */
    memory_add_listener(&mem, &(MemoryListener){ .code_write = rec_code_write });
    hook_hits = 0;
    wr(TOHOST + 12, 1, 2);
    CU_ASSERT_EQUAL(hook_hits, 0);          /* not a code page */
    memory_set_code_page(&mem, TOHOST);
    wr(TOHOST + 12, 1, 3);
    CU_ASSERT_EQUAL(hook_hits, 1);
    CU_ASSERT_EQUAL(hook_addr, TOHOST + 12);
    wr(TOHOST, 4, 0);                       /* a mailbox is not RAM */
    CU_ASSERT_EQUAL(hook_hits, 1);
    teardown();
}

static void test_reset(void)
{
    setup();
    wr(TOHOST, 4, 0x55);
    wr(FROMHOST, 8, 0x66);
    htif_reset(&htif);
    CU_ASSERT_EQUAL(rd(TOHOST, 8), 0);
    CU_ASSERT_EQUAL(rd(FROMHOST, 8), 0);
    teardown();
}

static const UnitTest tests[] = {
    { "exit with a 64-bit write", test_exit_64 },
    { "exit with two 32-bit writes", test_exit_halves },
    { "console putchar", test_putchar },
    { "syscall proxy", test_syscall_write },
    { "unknown device", test_unknown_device },
    { "windows over RAM", test_windows_over_ram },
    { "fromhost inside the window or absent", test_fromhost_in_window },
    { "code page write", test_code_page_write },
    { "reset", test_reset },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("htif", tests);
}

/* The GDB stub (gdbstub/): the packet layer's framing, checksums, acks and
 * escapes; and a session on a real one-hart machine through a socketpair:
 * registers, memory (faults give E14), a step, a breakpoint and a
 * watchpoint that stop before the instruction with exact counts, and the
 * target description's CSR numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu/loop.h"
#include "emu/runstate.h"
#include "gdbstub/gdbstub-int.h"
#include "tests/unit/unit.h"

static GdbPacketEvent feed(GdbPacketReader *r, const char *s)
{
    GdbPacketEvent ev = GDB_EV_NONE;
    for (; *s; s++) {
        GdbPacketEvent e = gdb_packet_feed(r, (uint8_t)*s);
        if (e != GDB_EV_NONE) {
            ev = e;
        }
    }
    return ev;
}

static void test_framing(void)
{
    GdbPacketReader r;
    gdb_packet_reader_init(&r);
    CU_ASSERT_EQUAL(feed(&r, "$g#67"), GDB_EV_PACKET);
    CU_ASSERT_STRING_EQUAL(r.buf, "g");
    CU_ASSERT_EQUAL(feed(&r, "$g#68"), GDB_EV_BAD);        /* wrong checksum */
    CU_ASSERT_EQUAL(feed(&r, "$g#6z"), GDB_EV_BAD);        /* not hex */
    CU_ASSERT_EQUAL(feed(&r, "+"), GDB_EV_ACK);
    CU_ASSERT_EQUAL(feed(&r, "-"), GDB_EV_NACK);
    CU_ASSERT_EQUAL(feed(&r, "\x03"), GDB_EV_INTERRUPT);
    CU_ASSERT_EQUAL(feed(&r, "junk"), GDB_EV_NONE);        /* noise between packets */
    CU_ASSERT_EQUAL(feed(&r, "$qC$?#3f"), GDB_EV_PACKET);  /* a restart inside a packet */
    CU_ASSERT_STRING_EQUAL(r.buf, "?");
    CU_ASSERT_EQUAL(feed(&r, "$#00"), GDB_EV_PACKET);      /* empty */
    CU_ASSERT_EQUAL(r.len, 0);
    /* Longer than GDB_PACKET_MAX: refused whole, the reader recovers. */
    char *big = malloc(GDB_PACKET_MAX + 16);
    big[0] = '$';
    memset(big + 1, 'a', GDB_PACKET_MAX + 5);
    unsigned sum = ('a' * (GDB_PACKET_MAX + 5u)) & 0xff;
    snprintf(big + GDB_PACKET_MAX + 6, 8, "#%02x", sum);
    CU_ASSERT_EQUAL(feed(&r, big), GDB_EV_BAD);
    free(big);
    CU_ASSERT_EQUAL(feed(&r, "$g#67"), GDB_EV_PACKET);
}

static void test_encode_escape(void)
{
    GdbBuf b = { 0 };
    gdb_packet_encode(&b, "OK", 2);
    CU_ASSERT_STRING_EQUAL(b.data, "$OK#9a");
    b.len = 0;
    gdb_packet_encode(&b, "a#$}*", 5);
    CU_ASSERT_STRING_EQUAL(b.data, "$a}\x03}\x04}]}\x0a#c3");
    /* What gdb receives decodes back to the data. */
    GdbPacketReader r;
    gdb_packet_reader_init(&r);
    CU_ASSERT_EQUAL(feed(&r, b.data), GDB_EV_PACKET);
    size_t n = gdb_unescape(r.buf, r.len);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT(memcmp(r.buf, "a#$}*", 5) == 0);
    gdb_buf_free(&b);
    const char *p = "12345678abcdef01,";
    uint64_t v;
    CU_ASSERT(gdb_parse_hex(&p, &v));
    CU_ASSERT_EQUAL(v, 0x12345678abcdef01ull);
    CU_ASSERT_EQUAL(*p, ',');
    p = "112345678abcdef01";
    CU_ASSERT_FALSE(gdb_parse_hex(&p, &v));                /* 17 digits */
    p = ",1";
    CU_ASSERT_FALSE(gdb_parse_hex(&p, &v));
}

/* ---- a session on a machine ---- */

static Machine machine;
static Loop loop;
static GdbStub *gs;
static int peer = -1;

#define PROG_BASE 0x80000000ull
#define STORE_ADDR 0x80001008ull

static void session_start(void)
{
    MachineOptions o = {
        .machine = "virt", .ram_size = 16ull << 20, .bios = "none",
        .clock_mode = CLOCK_MODE_ICOUNT, .icount_shift = 3, .rtc_base_ns = 1000000000ull,
    };
    Error err;
    error_init(&err);
    chardev_init_null(&machine.serial0, "serial0");
    CU_ASSERT_FATAL(machine_init(&machine, &o, &err));
    loop_init(&loop, NULL, NULL);
    /* addi a0,a0,1; addi a0,a0,1; auipc a1,1; sd a0,0(a1); j . */
    static const uint32_t prog[] = { 0x00150513, 0x00150513, 0x00001597, 0x00a5b023,
                                     0x0000006f };
    CU_ASSERT(memory_rw(&machine.mem, PROG_BASE, (void *)prog, sizeof(prog), true, false));
    machine.harts[0].env.pc = PROG_BASE;
    runstate_set(&machine.run, RUN_STATE_PAUSED);
    gs = gdb_server_new(&machine, &loop);
    int sv[2];
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    gs->fd = sv[0];
    peer = sv[1];
}

static void session_end(void)
{
    gdb_server_free(gs);         /* closes its end */
    close(peer);
    machine_destroy(&machine);
}

/* Sends one packet (acks on) and returns the reply's data. */
static char reply[GDB_PACKET_MAX + 64];

static const char *read_reply(void)
{
    char buf[GDB_PACKET_MAX + 64];
    size_t len = 0;
    GdbPacketReader r;
    gdb_packet_reader_init(&r);
    while (len < sizeof(buf)) {
        ssize_t n = read(peer, buf + len, 1);
        if (n <= 0) {
            return "(eof)";
        }
        GdbPacketEvent ev = gdb_packet_feed(&r, (uint8_t)buf[len]);
        len++;
        if (ev == GDB_EV_PACKET) {
            snprintf(reply, sizeof(reply), "%s", r.buf);
            return reply;
        }
    }
    return "(too long)";
}

static const char *cmd(const char *data)
{
    GdbBuf b = { 0 };
    gdb_packet_encode(&b, data, strlen(data));
    gdb_session_input(gs, (const uint8_t *)b.data, b.len);
    gdb_buf_free(&b);
    return read_reply();
}

static uint64_t reg(int n)
{
    char q[16];
    snprintf(q, sizeof(q), "p%x", n);
    const char *r = cmd(q);
    uint8_t v[8] = { 0 };
    if (!gdb_hex_decode(r, v, strlen(r) / 2)) {
        return ~0ull;
    }
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) {
        x = x << 8 | v[i];
    }
    return x;
}

static void test_session(void)
{
    session_start();
    CU_ASSERT(strstr(cmd("qSupported:swbreak+"), "qXfer:features:read+") != NULL);
    CU_ASSERT_STRING_EQUAL(cmd("?"), "T05thread:1;");
    CU_ASSERT_STRING_EQUAL(cmd("qfThreadInfo"), "m1");
    CU_ASSERT_EQUAL(reg(CPU_GDB_PC), PROG_BASE);
    CU_ASSERT_STRING_EQUAL(cmd("Pa=2a00000000000000"), "OK");   /* a0 = 42 */
    CU_ASSERT_EQUAL(machine.harts[0].env.gpr[10], 42);
    CU_ASSERT_STRING_EQUAL(cmd("P0=0100000000000000"), "OK");   /* x0 stays 0 */
    CU_ASSERT_EQUAL(reg(0), 0);
    CU_ASSERT_EQUAL(strlen(cmd("g")), 33 * 16);
    /* CSRs: mscratch written and read back; misa read-only values stay. */
    CU_ASSERT_STRING_EQUAL(cmd("P381=3412000000000000"), "OK");
    CU_ASSERT_EQUAL(machine.harts[0].env.mscratch, 0x1234);
    CU_ASSERT_EQUAL(reg(CPU_GDB_PRIV), PRV_M);
    CU_ASSERT_STRING_EQUAL(cmd("p99999"), "E22");                /* no such register */
    CU_ASSERT_STRING_EQUAL(cmd("pzz"), "E01");
    /* Memory: read the program, fault on nothing, write with M and X. */
    CU_ASSERT_STRING_EQUAL(cmd("m80000000,4"), "13051500");
    CU_ASSERT_STRING_EQUAL(cmd("m0,4"), "E14");
    CU_ASSERT_STRING_EQUAL(cmd("M80002000,2:abcd"), "OK");
    CU_ASSERT_STRING_EQUAL(cmd("m80002000,2"), "abcd");
    /* X's data as gdb frames it: '}' escaped as "}]" (no re-escaping here). */
    {
        static const char x[] = "$X80002000,1:}]#53";
        gdb_session_input(gs, (const uint8_t *)x, sizeof(x) - 1);
    }
    CU_ASSERT_STRING_EQUAL(read_reply(), "OK");
    CU_ASSERT_STRING_EQUAL(cmd("m80002000,1"), "7d");
    CU_ASSERT_STRING_EQUAL(cmd("M80002000,2:ab"), "E01");       /* short data */
    CU_ASSERT_STRING_EQUAL(cmd("Mzz"), "E01");
    CU_ASSERT_STRING_EQUAL(cmd("qUnknownThing"), "");           /* unsupported */
    /* A step runs one instruction. */
    uint64_t ic = machine.harts[0].env.icount;
    CU_ASSERT_STRING_EQUAL(cmd("vCont;s:1"), "T05thread:1;");
    CU_ASSERT_EQUAL(reg(CPU_GDB_PC), PROG_BASE + 4);
    CU_ASSERT_EQUAL(machine.harts[0].env.icount, ic + 1);
    CU_ASSERT_EQUAL(machine.harts[0].env.gpr[10], 43);
    /* A breakpoint on the auipc: the machine stops before it, a0 = 44. */
    CU_ASSERT_STRING_EQUAL(cmd("Z0,80000008,4"), "OK");
    GdbBuf b = { 0 };
    gdb_packet_encode(&b, "vCont;c", 7);
    gdb_session_input(gs, (const uint8_t *)b.data, b.len);
    CU_ASSERT(runstate_is_running(&machine.run));
    CU_ASSERT_EQUAL(machine_exec(&machine, 1000), CPU_EXIT_DEBUG);
    gdb_server_debug_stop(gs);
    CU_ASSERT_STRING_EQUAL(read_reply(), "T05thread:1;");
    CU_ASSERT_EQUAL(machine.harts[0].env.pc, PROG_BASE + 8);
    CU_ASSERT_EQUAL(machine.harts[0].env.icount, ic + 2);
    CU_ASSERT_EQUAL(runstate_get(&machine.run), RUN_STATE_DEBUG);
    /* Guest memory holds the program as written: no ebreak. */
    CU_ASSERT_STRING_EQUAL(cmd("m80000008,4"), "97150000");
    /* A write watchpoint: stops at the sd, before the store. */
    CU_ASSERT_STRING_EQUAL(cmd("z0,80000008,4"), "OK");
    CU_ASSERT_STRING_EQUAL(cmd("Z2,80001008,8"), "OK");
    gdb_session_input(gs, (const uint8_t *)b.data, b.len);
    CU_ASSERT_EQUAL(machine_exec(&machine, 1000), CPU_EXIT_DEBUG);
    gdb_server_debug_stop(gs);
    CU_ASSERT_STRING_EQUAL(read_reply(), "T05watch:80001008;thread:1;");
    CU_ASSERT_EQUAL(machine.harts[0].env.pc, PROG_BASE + 12);
    CU_ASSERT_STRING_EQUAL(cmd("m80001008,8"), "0000000000000000");
    /* gdb steps over it with the watchpoint removed: the store happens. */
    CU_ASSERT_STRING_EQUAL(cmd("z2,80001008,8"), "OK");
    CU_ASSERT_STRING_EQUAL(cmd("vCont;s:1"), "T05thread:1;");
    CU_ASSERT_STRING_EQUAL(cmd("m80001008,8"), "2c00000000000000");
    /* Ctrl-C while running. */
    gdb_session_input(gs, (const uint8_t *)b.data, b.len);
    CU_ASSERT(runstate_is_running(&machine.run));
    gdb_session_input(gs, (const uint8_t *)"\x03", 1);
    CU_ASSERT_STRING_EQUAL(read_reply(), "T02thread:1;");
    CU_ASSERT_FALSE(runstate_is_running(&machine.run));
    gdb_buf_free(&b);
    /* Bad packets: errors or the empty reply, and the session goes on. */
    CU_ASSERT_STRING_EQUAL(cmd("Z9,0,0"), "");
    CU_ASSERT_STRING_EQUAL(cmd("Z0,,"), "E01");
    CU_ASSERT_STRING_EQUAL(cmd("Hg99"), "E22");
    CU_ASSERT_STRING_EQUAL(cmd("vCont;x"), "E01");
    CU_ASSERT_STRING_EQUAL(cmd("qXfer:features:read:nothing.xml:0,100"), "E00");
    CU_ASSERT_STRING_EQUAL(cmd("qRcmd,6"), "E01");
    CU_ASSERT_STRING_EQUAL(cmd("qC"), "QC1");
    /* s/c with an odd address: pc stays 2-aligned (the fuzzer's find). */
    CU_ASSERT_STRING_EQUAL(cmd("s80000001"), "T05thread:1;");
    CU_ASSERT_EQUAL(machine.harts[0].env.pc & 1, 0);
    session_end();
}

/* Every CSR in the description has gdb's number for it: 65 + its number. */
static void test_tdesc_numbers(void)
{
    const char *xml = cpu_gdb_xml("target.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    CU_ASSERT_PTR_NULL(cpu_gdb_xml("other.xml"));
    const char *csr = strstr(xml, "org.gnu.gdb.riscv.csr");
    CU_ASSERT_PTR_NOT_NULL_FATAL(csr);
    int n = 0;
    for (const char *p = strstr(csr, "<reg name=\""); p; p = strstr(p + 1, "<reg name=\"")) {
        char name[32];
        int regnum;
        CU_ASSERT_EQUAL_FATAL(sscanf(p, "<reg name=\"%31[^\"]\" bitsize=\"64\" regnum=\"%d\"",
                                     name, &regnum), 2);
        int num = cpu_csr_by_name(name);
        CU_ASSERT(num >= 0);
        if (regnum != CPU_GDB_CSR0 + num) {
            fprintf(stderr, "%s: regnum %d, csr 0x%x\n", name, regnum, num);
        }
        CU_ASSERT_EQUAL(regnum, CPU_GDB_CSR0 + num);
        n++;
    }
    CU_ASSERT(n >= 40);
    CU_ASSERT(strstr(xml, "<reg name=\"priv\" bitsize=\"64\" regnum=\"4161\"/>") != NULL);
    CU_ASSERT(strstr(xml, "<reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"68\"/>") != NULL);
}

int main(void)
{
    static const UnitTest tests[] = {
        { "framing, checksums, acks, interrupt, overflow", test_framing },
        { "encoding, escapes, hex", test_encode_escape },
        { "session: registers, memory, step, breakpoint, watchpoint, Ctrl-C", test_session },
        { "target description: CSR numbers", test_tdesc_numbers },
        { NULL, NULL },
    };
    return unit_run("gdbstub", tests);
}

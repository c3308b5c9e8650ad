/* The command table and dispatch, without a machine: table consistency,
 * help, errors and usage lines, errexit, input framing (long lines, NUL
 * bytes), completion, two independent hubs and the RISC-V disassembler. */
#include "emu/loop.h"
#include "monitor/monitor-int.h"
#include "monitor/monitor.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

static MonitorHub *hub;
static Monitor *mon;

static const char *run(const char *line)
{
    monitor_buffer_clear(mon);
    monitor_handle_line(mon, line);
    return monitor_buffer(mon);
}

static void check_table(const MonCmd *table, bool is_info)
{
    for (const MonCmd *c = table; c->name; c++) {
        MonArgSpec s[MON_MAX_ARGS];
        int n;
        CU_ASSERT(mon_spec_parse(c->args, s, &n, NULL));
        CU_ASSERT(c->handler != NULL);
        CU_ASSERT(c->help && *c->help);
        CU_ASSERT(c->params != NULL);
        CU_ASSERT(c->doc && *c->doc);
        CU_ASSERT(is_info ? c->sub == NULL : true);
        /* Every name is unique in its table. */
        const char *p = c->name;
        while (*p) {
            size_t l = strcspn(p, "|");
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)l, p);
            CU_ASSERT(mon_find_cmd(table, name) == c);
            p += l;
            if (*p) {
                p++;
            }
        }
    }
}

static void test_table(void)
{
    check_table(hmp_cmds, false);
    check_table(hmp_info_cmds, true);
    CU_ASSERT(mon_find_cmd(hmp_cmds, "c") == mon_find_cmd(hmp_cmds, "cont"));
    CU_ASSERT(mon_find_cmd(hmp_cmds, "?") == mon_find_cmd(hmp_cmds, "help"));
    CU_ASSERT_PTR_NULL(mon_find_cmd(hmp_cmds, "con"));   /* no prefix matching */
    CU_ASSERT_PTR_NULL(mon_find_cmd(hmp_cmds, ""));
}

static void test_help(void)
{
    const char *out = run("help");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "cont|c  -- resume emulation\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "x /fmt addr -- virtual memory dump starting at addr\n"));
    CU_ASSERT_STRING_EQUAL(run("help quit"), "quit|q  -- quit the emulator\n");
    CU_ASSERT_STRING_EQUAL(run("? q"), "quit|q  -- quit the emulator\n");
    CU_ASSERT_STRING_EQUAL(run("help info status"),
                           "info status  -- show the current VM status (running|paused)\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(run("help info"), "info registers [-a] -- show the cpu registers\n"));
    CU_ASSERT_STRING_EQUAL(run("help foo"), "Error: unknown command: 'foo'\n");
    CU_ASSERT_STRING_EQUAL(run("help info foo"), "Error: unknown info subcommand: 'foo'\n");
    CU_ASSERT_STRING_EQUAL(run("help stop x"), "Error: 'stop' has no subcommands\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(run("info"), "info version  -- show the version of Amber\n"));
}

static void test_errors(void)
{
    CU_ASSERT_STRING_EQUAL(run("foo"), "Error: unknown command: 'foo'\n");
    CU_ASSERT_STRING_EQUAL(run("   "), "");
    CU_ASSERT_STRING_EQUAL(run("info version extra"),
                           "Error: too many arguments: 'extra'\nUsage: info version\n");
    CU_ASSERT_STRING_EQUAL(run("x/3q 0"), "Error: invalid char in format: 'q'\nUsage: x/fmt addr\n");
    CU_ASSERT_STRING_EQUAL(run("x"), "Error: missing argument 'addr'\nUsage: x/fmt addr\n");
    CU_ASSERT_STRING_EQUAL(run("memsave 0 4Q f"),
                           "Error: invalid character 'Q' in number\nUsage: memsave addr size file\n");
    CU_ASSERT_STRING_EQUAL(run("p 1/0"), "Error: division by zero\nUsage: print/fmt expr\n");
    CU_ASSERT_STRING_EQUAL(run("p $nosuch"),
                           "Error: unknown register '$nosuch'\nUsage: print/fmt expr\n");
    CU_ASSERT_STRING_EQUAL(run("type \"abc"),
                           "Error: unterminated string (missing \")\nUsage: type \"text\"\n");
    const char *out = run("info nosuch");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Error: unknown info subcommand: 'nosuch'\n"));
    CU_ASSERT_STRING_EQUAL(run("stop"), "Error: no machine\n");
    CU_ASSERT_STRING_EQUAL(run("p 0x10"), "0x10\n");
    CU_ASSERT_STRING_EQUAL(run("p/d -2"), "-2\n");
    CU_ASSERT_STRING_EQUAL(run("p/o 8"), "010\n");
    CU_ASSERT_STRING_EQUAL(run("p/u -1"), "18446744073709551615\n");
    CU_ASSERT_STRING_EQUAL(run("p/c 65"), "'A'\n");
    CU_ASSERT_STRING_EQUAL(run("p/i 1"), "Error: invalid format 'i' for print (use x d u o c)\n");
    CU_ASSERT_STRING_EQUAL(run("echo  hello  there "), "hello  there\n");
    CU_ASSERT_STRING_EQUAL(run("system_powerdown"),
                           "system_powerdown: the virt board has no power button; the guest was "
                           "not notified (use quit, or the guest's poweroff)\n");
    /* Names longer than the buffer are truncated in the message, not overflowed. */
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    out = run(longname);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Error: unknown command: 'aaaa"));
    CU_ASSERT(strlen(out) < 120);
}

static void test_errexit(void)
{
    CU_ASSERT_STRING_EQUAL(run("errexit"), "errexit: off\n");
    CU_ASSERT_STRING_EQUAL(run("errexit ignore"), "");
    CU_ASSERT_STRING_EQUAL(run("errexit"), "errexit: ignore\n");
    CU_ASSERT_STRING_EQUAL(run("errexit sometimes"), "Error: errexit: expected on, off or ignore\n");
    run("errexit off");
    int before = mon->nr_failed;
    run("nosuch");
    CU_ASSERT_EQUAL(mon->nr_failed, before + 1);
    CU_ASSERT_EQUAL(monitor_exit_status(mon), 1);
    run("errexit ignore");
    CU_ASSERT_EQUAL(monitor_exit_status(mon), 0);
    run("errexit off");
}

static void test_input_framing(void)
{
    monitor_buffer_clear(mon);
    monitor_input(mon, "p 1\np 2\np", 9);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(mon), "0x1\n0x2\n");
    monitor_input(mon, " 3\n", 3);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(mon), "0x1\n0x2\n0x3\n");
    monitor_buffer_clear(mon);
    monitor_input(mon, "p 1\0 2\n", 7);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(mon), "Error: line contains a NUL byte\n");
    /* A line over the limit is refused once, and its tail is skipped. */
    monitor_buffer_clear(mon);
    char *big = malloc(200000);
    memset(big, 'x', 200000);
    monitor_input(mon, big, 100000);
    monitor_input(mon, big, 100000);
    monitor_input(mon, "\np 5\n", 5);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(mon), "Error: line too long (limit 65535 bytes)\n0x5\n");
    free(big);
    /* Binary bytes are an unknown command, shown safely truncated. */
    monitor_buffer_clear(mon);
    monitor_input(mon, "\xff\xfe\x01\x02 zz\n", 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(monitor_buffer(mon), "Error: unknown command: '"));
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Input for a monitor whose command waits, with no fd to leave it in (the
 * buffer kind, the -nographic mux): kept up to MON_MAX_INPUT, the rest
 * refused with one error; after quit nothing is kept (the fuzzer once grew
 * this buffer to 2 GiB). */
static void test_input_bound(void)
{
    Monitor *m = monitor_new_buffer(hub);
    char chunk[4096];
    for (size_t i = 0; i < sizeof(chunk); i += 4) {
        memcpy(chunk + i, "p 1\n", 4);
    }
    monitor_suspend(m);
    for (int i = 0; i < 512; i++) {          /* 2 MiB */
        monitor_input(m, chunk, sizeof(chunk));
    }
    CU_ASSERT(m->inlen <= MON_MAX_INPUT);
    CU_ASSERT_EQUAL(count(monitor_buffer(m), "Error: input dropped: "), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(monitor_buffer(m), "(limit 1024 KiB)"));
    monitor_buffer_clear(m);
    monitor_resume(m);                       /* what was kept runs */
    CU_ASSERT_EQUAL(count(monitor_buffer(m), "0x1\n"), MON_MAX_INPUT / 4);
    CU_ASSERT_EQUAL(m->inlen, 0);
    monitor_buffer_clear(m);
    monitor_input(m, "p 2\n", 4);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(m), "0x2\n");
    hub->quitting = true;
    monitor_input(m, "p 3\n", 4);
    CU_ASSERT_EQUAL(m->inlen, 0);
    hub->quitting = false;
    monitor_free(m);
}

typedef struct Cands {
    char list[64][64];
    int n;
} Cands;

static void add(void *opaque, const char *c)
{
    Cands *cs = opaque;
    if (cs->n < 64) {
        snprintf(cs->list[cs->n++], 64, "%s", c);
    }
}

static bool has(const Cands *cs, const char *s)
{
    for (int i = 0; i < cs->n; i++) {
        if (!strcmp(cs->list[i], s)) {
            return true;
        }
    }
    return false;
}

static Cands complete(const char *line)
{
    Cands cs = { .n = 0 };
    mon_complete(hub, line, strlen(line), add, &cs);
    return cs;
}

static void test_complete(void)
{
    Cands cs = complete("in");
    CU_ASSERT(cs.n == 1 && has(&cs, "info"));
    cs = complete("");
    CU_ASSERT(has(&cs, "help") && has(&cs, "x") && has(&cs, "cont") && has(&cs, "c"));
    cs = complete("info st");
    CU_ASSERT(cs.n == 1 && has(&cs, "status"));
    cs = complete("info ");
    CU_ASSERT(has(&cs, "registers") && has(&cs, "mtree"));
    cs = complete("help inf");
    CU_ASSERT(cs.n == 1 && has(&cs, "info"));
    cs = complete("help info reg");
    CU_ASSERT(cs.n == 1 && has(&cs, "registers"));
    cs = complete("errexit o");
    CU_ASSERT(cs.n == 0);                        /* a string: nothing to offer */
    cs = complete("memsave 0 4K " AMBER_SRCDIR "/monitor/commands.de");
    CU_ASSERT(cs.n == 1 && has(&cs, AMBER_SRCDIR "/monitor/commands.def"));
    cs = complete("memsave 0 4K " AMBER_SRCDIR "/moni");
    CU_ASSERT(cs.n == 1 && has(&cs, AMBER_SRCDIR "/monitor/"));
    cs = complete("nosuch ");
    CU_ASSERT(cs.n == 0);
    cs = complete("stop extra more ");
    CU_ASSERT(cs.n == 0);
}

/* Two hubs share nothing: one's history, quitting and monitor list leave
 * the other's alone (what system/ has one of per machine). */
static void test_two_hubs(void)
{
    Loop l1, l2;
    loop_init(&l1, NULL, NULL);
    loop_init(&l2, NULL, NULL);
    MonitorHub *h1 = monitor_hub_new(&l1), *h2 = monitor_hub_new(&l2);
    Monitor *a = monitor_new_buffer(h1), *b = monitor_new_buffer(h2);
    monitor_handle_line(a, "echo one");
    monitor_handle_line(a, "echo two");
    monitor_handle_line(b, "echo three");
    CU_ASSERT_EQUAL(monitor_history_count(h1), 2);
    CU_ASSERT_EQUAL(monitor_history_count(h2), 1);
    monitor_buffer_clear(b);
    monitor_handle_line(b, "info history");
    CU_ASSERT_STRING_EQUAL(monitor_buffer(b), "0: 'echo three'\n1: 'info history'\n");
    /* Input after quit is dropped in the quitting hub only. */
    h1->quitting = true;
    monitor_buffer_clear(a);
    monitor_buffer_clear(b);
    monitor_input(a, "p 1\n", 4);
    monitor_input(b, "p 2\n", 4);
    CU_ASSERT_STRING_EQUAL(monitor_buffer(a), "");
    CU_ASSERT_STRING_EQUAL(monitor_buffer(b), "0x2\n");
    CU_ASSERT(h1->monitors == a && !a->next && h2->monitors == b && !b->next);
    CU_ASSERT(a->hub == h1 && b->hub == h2);
    /* Freeing one hub frees its monitors and leaves the other working. */
    monitor_hub_free(h1);
    monitor_buffer_clear(b);
    monitor_handle_line(b, "p 3");
    CU_ASSERT_STRING_EQUAL(monitor_buffer(b), "0x3\n");
    monitor_hub_free(h2);
}

static void test_disas(void)
{
    static const struct { uint32_t w; int len; const char *text; } cases[] = {
        { 0x00003197, 4, "auipc   gp,0x3" },
        { 0x80018193, 4, "addi    gp,gp,-2048" },
        { 0xf14022f3, 4, "csrrs   t0,mhartid,zero" },
        { 0x10500073, 4, "wfi" },
        { 0x30200073, 4, "mret" },
        { 0x00000013, 4, "addi    zero,zero,0" },
        { 0x02b50533, 4, "mul     a0,a0,a1" },
        { 0x00a5b023, 4, "sd      a0,0(a1)" },
        { 0x0000100f, 4, "fence.i" },
        { 0xffffffff, 4, "illegal" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t b[4] = { cases[i].w & 0xff, (cases[i].w >> 8) & 0xff, (cases[i].w >> 16) & 0xff,
                         cases[i].w >> 24 };
        char out[96];
        int len = disas_riscv(0x80000000, b, 4, out, sizeof(out));
        CU_ASSERT_EQUAL(len, cases[i].len);
        CU_ASSERT_STRING_EQUAL(out, cases[i].text);
        if (strcmp(out, cases[i].text)) {
            fprintf(stderr, "%08x: got '%s' want '%s'\n", cases[i].w, out, cases[i].text);
        }
    }
    /* A compressed instruction with only two bytes available. */
    uint8_t c[2] = { 0x01, 0x00 };                 /* c.nop */
    char out[96];
    CU_ASSERT_EQUAL(disas_riscv(0x80000000, c, 2, out, sizeof(out)), 2);
    /* A mnemonic longer than the column still gets its space (issue 12). */
    uint8_t spn[2] = { 0x00, 0x08 };               /* c.addi4spn s0,sp,16 */
    CU_ASSERT_EQUAL(disas_riscv(0x80000000, spn, 2, out, sizeof(out)), 2);
    CU_ASSERT_STRING_EQUAL(out, "c.addi4spn s0,sp,16");
    /* A 32-bit encoding cut short is not read past the buffer. */
    uint8_t cut[2] = { 0x97, 0x31 };
    CU_ASSERT_EQUAL(disas_riscv(0x80000000, cut, 2, out, sizeof(out)), 2);
    CU_ASSERT_STRING_EQUAL(out, "illegal");
}

static const UnitTest tests[] = {
    { "table", test_table },
    { "help", test_help },
    { "errors and usage", test_errors },
    { "errexit", test_errexit },
    { "input framing", test_input_framing },
    { "input bound", test_input_bound },
    { "completion", test_complete },
    { "two hubs", test_two_hubs },
    { "disassembler", test_disas },
    { NULL, NULL },
};

int main(void)
{
    static Loop loop;
    loop_init(&loop, NULL, NULL);
    hub = monitor_hub_new(&loop);
    mon = monitor_new_buffer(hub);
    int rc = unit_run("monitor-cmds", tests);
    monitor_hub_free(hub);
    return rc;
}

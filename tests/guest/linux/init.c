/* Amber's /init: a tiny shell for the test kernel, without libc (raw Linux
 * syscalls, rv64imafdc with the lp64d ABI: `fp` works the FPU). It prints `# ` and answers one command
 * per line on the console. Every answer depends only on the commands typed
 * so far, never on timing (except `uptime`), so a snapshot or a migrated
 * guest can be checked against a run that was never interrupted. */
#include <stddef.h>
#include <stdint.h>

#define SYS_mkdirat        34
#define SYS_mount          40
#define SYS_openat         56
#define SYS_close          57
#define SYS_read           63
#define SYS_write          64
#define SYS_clock_gettime 113
#define SYS_reboot        142
#define SYS_times         153
#define SYS_exit           93
#define SYS_clone         220
#define SYS_wait4         260
#define SIGCHLD            17

#define AT_FDCWD          (-100)
#define O_RDONLY          0
#define CLOCK_MONOTONIC   1
#define REBOOT_MAGIC1     0xfee1deadL
#define REBOOT_MAGIC2     672274793L
#define REBOOT_POWER_OFF  0x4321fedcL

/* The memory `sum` and `churn` keep changing: 512 KiB (128 pages), so a
 * migration has real dirty pages to chase. */
#define SUM_WORDS (512 * 1024 / 8)
static uint64_t sum_buf[SUM_WORDS];
static uint64_t sum_round;            /* rounds applied to sum_buf so far */
static long ticks_at_start;           /* times() when /init started */

static long sys_call(long n, long a, long b, long c, long d, long e)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
    return a0;
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static void out_buf(const char *s, size_t n)
{
    while (n > 0) {
        long r = sys_call(SYS_write, 1, (long)s, (long)n, 0, 0);
        if (r <= 0) {
            return;
        }
        s += r;
        n -= (size_t)r;
    }
}

static void out(const char *s)
{
    out_buf(s, str_len(s));
}

static void out_udec(uint64_t v)
{
    char b[24];
    int i = sizeof(b);
    b[--i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out(b + i);
}

static void out_dec(long v)
{
    if (v < 0) {
        out("-");
        out_udec((uint64_t)-v);
    } else {
        out_udec((uint64_t)v);
    }
}

static void out_hex(uint64_t v, int digits)
{
    char b[19] = "0x";
    for (int i = 0; i < digits; i++) {
        b[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 15];
    }
    b[2 + digits] = 0;
    out(b);
}

/* A number from the command line (decimal); -1 if there is none. */
static long parse_num(const char *s)
{
    long v = 0;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    while (*s >= '0' && *s <= '9' && v < 100000000) {
        v = v * 10 + (*s++ - '0');
    }
    return v;
}

static uint64_t hash_words(const uint64_t *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ w[i]) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

/* One round: every word moves on by an LCG step mixed with the round and
 * its index, so each round dirties all of sum_buf. */
static void sum_step(void)
{
    uint64_t r = ++sum_round;
    for (size_t i = 0; i < SUM_WORDS; i++) {
        sum_buf[i] = sum_buf[i] * 6364136223846793005ull + (r << 20) + i + 1442695040888963407ull;
    }
}

static void sum_print(void)
{
    out("sum ");
    out_hex(hash_words(sum_buf, SUM_WORDS), 16);
    out(" round ");
    out_udec(sum_round);
    out("\n");
}

static void cmd_help(const char *arg)
{
    (void)arg;
    out("commands:\n"
        "  help         this list\n"
        "  echo TEXT    print TEXT\n"
        "  sum          change the test memory one round, print its checksum\n"
        "  churn N      change it N rounds (runs a while), print its checksum\n"
        "  spawn N      fork N children that change their copy; print exit codes\n"
        "  fp [N]       double-precision results and flags; N children at once\n"
        "  disk         checksum of the first 8 sectors of /dev/vda\n"
        "  cat FILE     print a file (/proc/interrupts, /proc/cpuinfo, ...)\n"
        "  uptime       monotonic time and kernel ticks\n"
        "  instret      instructions retired since reset\n"
        "  poweroff     power the machine off\n");
}

static void cmd_echo(const char *arg)
{
    out(arg);
    out("\n");
}

static void cmd_sum(const char *arg)
{
    (void)arg;
    sum_step();
    sum_print();
}

static void cmd_churn(const char *arg)
{
    long n = parse_num(arg);
    if (n < 0) {
        out("churn: usage: churn N\n");
        return;
    }
    while (n-- > 0) {
        sum_step();
    }
    sum_print();
}

/* Forks N children; child k changes its copy-on-write view of the test
 * memory k+1 rounds and exits with a byte of the checksum. The parent
 * waits for each in turn: copy-on-write faults, context switches, ASIDs. */
static void cmd_spawn(const char *arg)
{
    long n = parse_num(arg);
    if (n < 1 || n > 64) {
        out("spawn: usage: spawn N (1..64)\n");
        return;
    }
    long pids[64];
    for (long k = 0; k < n; k++) {
        pids[k] = sys_call(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (pids[k] == 0) {
            for (long r = 0; r <= k; r++) {
                sum_step();
            }
            sys_call(SYS_exit, (long)(hash_words(sum_buf, SUM_WORDS) & 0xff), 0, 0, 0, 0);
        }
        if (pids[k] < 0) {
            out("spawn: fork: error ");
            out_dec(pids[k]);
            out("\n");
            n = k;
            break;
        }
    }
    out("spawn");
    for (long k = 0; k < n; k++) {
        int status = 0;
        long r = sys_call(SYS_wait4, pids[k], (long)&status, 0, 0, 0);
        out(" ");
        if (r != pids[k]) {
            out("?");
        } else {
            out_udec((uint64_t)((status >> 8) & 0xff));
        }
    }
    out("\n");
}

static void cmd_disk(const char *arg)
{
    static uint64_t sect[8 * 512 / 8];
    (void)arg;
    long fd = sys_call(SYS_openat, AT_FDCWD, (long)"/dev/vda", O_RDONLY, 0, 0);
    if (fd < 0) {
        out("disk: /dev/vda: error ");
        out_dec(fd);
        out("\n");
        return;
    }
    size_t got = 0;
    while (got < sizeof(sect)) {
        long r = sys_call(SYS_read, fd, (long)((char *)sect + got), (long)(sizeof(sect) - got), 0, 0);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    sys_call(SYS_close, fd, 0, 0, 0, 0);
    out("disk ");
    out_hex(hash_words(sect, got / 8), 16);
    out(" bytes ");
    out_udec(got);
    out("\n");
}

static void cmd_cat(const char *arg)
{
    char buf[256];
    long fd = sys_call(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0);
    if (fd < 0) {
        out("cat: ");
        out(arg);
        out(": error ");
        out_dec(fd);
        out("\n");
        return;
    }
    long r;
    while ((r = sys_call(SYS_read, fd, (long)buf, sizeof(buf), 0, 0)) > 0) {
        out_buf(buf, (size_t)r);
    }
    sys_call(SYS_close, fd, 0, 0, 0, 0);
}

static void cmd_uptime(const char *arg)
{
    long ts[2] = { 0, 0 };
    long tms[4];
    (void)arg;
    sys_call(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts, 0, 0, 0);
    long ticks = sys_call(SYS_times, (long)tms, 0, 0, 0, 0) - ticks_at_start;
    out("uptime ");
    out_dec(ts[0]);
    out(".");
    char ms[4] = { (char)('0' + ts[1] / 100000000), (char)('0' + ts[1] / 10000000 % 10),
                   (char)('0' + ts[1] / 1000000 % 10), 0 };
    out(ms);
    out(" s ticks ");
    out_dec(ticks);
    out("\n");
}

/* Instructions retired since reset (OpenSBI lets S and U mode read the
 * counter): with -- instret on the kernel command line, the cost of the
 * boot to the first prompt. */
static void cmd_instret(const char *arg)
{
    uint64_t n;
    (void)arg;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    out("instret ");
    out_udec(n);
    out("\n");
}

static void cmd_poweroff(const char *arg)
{
    (void)arg;
    out("power off\n");
    sys_call(SYS_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF, 0, 0);
    out("poweroff: failed\n");
}

/* Double precision in user space: results as bits (exact) and in decimal,
 * so that two emulators running the same Image can be compared line by
 * line. Each result goes through the FPU: the kernel must have CONFIG_FPU
 * and switch FP state with the task. */
static uint64_t dbits(double d)
{
    union { double d; uint64_t u; } v = { .d = d };
    return v.u;
}

/* Clears fflags before the next operation: the clobber keeps the volatile
 * inputs' loads, and so the operation, after it. */
static void fp_flags_clear(void)
{
    __asm__ volatile("csrw fflags, zero" ::: "memory");
}

/* Reads and clears fflags after the operation that produced `after` (the
 * operand orders the read after it: the compiler may not move it up). */
static unsigned fp_flags_take(double after)
{
    unsigned long f;
    __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f) : "f"(after));
    return (unsigned)f;
}

/* d with 9 decimals, by integer arithmetic on its parts (no libc printf);
 * the bits printed alongside are the exact value. */
static void out_double(double d)
{
    if (d != d) {
        out("nan");
        return;
    }
    if (d < 0) {
        out("-");
        d = -d;
    }
    if (d > 9.0e18) {
        out("big");
        return;
    }
    uint64_t ip = (uint64_t)d;
    uint64_t fr = (uint64_t)((d - (double)ip) * 1e9);
    out_udec(ip);
    char b[11] = ".000000000";
    for (int i = 9; i >= 1; i--) {
        b[i] = (char)('0' + fr % 10);
        fr /= 10;
    }
    out(b);
}

static void fp_line(const char *name, double d, unsigned flags)
{
    out("fp ");
    out(name);
    out(" ");
    out_hex(dbits(d), 16);
    out(" ");
    out_double(d);
    out(" flags ");
    out_hex(flags, 2);
    out("\n");
}

static double fp_sqrt(double x)
{
    double r;
    __asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
    return r;
}

static double fp_fma(double a, double b, double c)
{
    double r;
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c));
    return r;
}

/* A seeded workload of n steps: a leapfrog orbit, a series and a square
 * root iteration, folded into one checksum of bits. */
static uint64_t fp_work(unsigned seed, long n)
{
    double x = 1.0 + seed * 0.125, y = 0.0, vx = 0.0, vy = 1.0 / (1.0 + seed), dt = 1e-3;
    double series = 0.0, s = 2.0 + seed;
    uint64_t h = 1469598103934665603ull;
    for (long i = 1; i <= n; i++) {
        double r2 = x * x + y * y;
        double r = fp_sqrt(r2);
        double inv = 1.0 / (r2 * r);
        vx = fp_fma(-x * inv, dt, vx);
        vy = fp_fma(-y * inv, dt, vy);
        x += vx * dt;
        y += vy * dt;
        series += 1.0 / ((double)i * (double)i);
        s = 0.5 * (s + (2.0 + seed) / s);
        if ((i & 1023) == 0) {
            h = (h ^ dbits(x) ^ dbits(vy) ^ dbits(series) ^ dbits(s)) * 1099511628211ull;
        }
    }
    return h ^ dbits(x) ^ dbits(y) ^ dbits(series);
}

/* fp: a fixed set of results with their exception flags; fp N: N children
 * run fp_work at once (their FP registers live across context switches and,
 * with several harts, migrations between harts) and exit with a byte of
 * their checksum, printed in fork order. */
static void cmd_fp(const char *arg)
{
    if (*arg) {
        long n = parse_num(arg);
        if (n < 1 || n > 64) {
            out("fp: usage: fp [N] (1..64 children)\n");
            return;
        }
        long pids[64];
        for (long k = 0; k < n; k++) {
            pids[k] = sys_call(SYS_clone, SIGCHLD, 0, 0, 0, 0);
            if (pids[k] == 0) {
                uint64_t h = fp_work((unsigned)k, 200000);
                sys_call(SYS_exit, (long)((h ^ h >> 8 ^ h >> 16 ^ h >> 32) & 0xff), 0, 0, 0, 0);
            }
            if (pids[k] < 0) {
                n = k;
                break;
            }
        }
        out("fp children");
        for (long k = 0; k < n; k++) {
            int status = 0;
            long r = sys_call(SYS_wait4, pids[k], (long)&status, 0, 0, 0);
            out(" ");
            if (r != pids[k]) {
                out("?");
            } else {
                out_udec((uint64_t)((status >> 8) & 0xff));
            }
        }
        out("\n");
        return;
    }
    volatile double one = 1.0, three = 3.0, two = 2.0, tiny = 1e-310, huge = 1e308, zero = 0.0;
    volatile double third = one / three;
    double d;
    /* Each: clear fflags (printing itself computes), one operation on
     * volatile inputs, read fflags. */
    fp_flags_clear();
    d = one / three;
    fp_line("1/3", d, fp_flags_take(d));
    fp_flags_clear();
    d = fp_sqrt(two);
    fp_line("sqrt2", d, fp_flags_take(d));
    fp_flags_clear();
    d = fp_fma(third, three, -one);
    fp_line("fma", d, fp_flags_take(d));
    fp_flags_clear();
    d = huge * 10.0;
    fp_line("overflow", d, fp_flags_take(d));
    fp_flags_clear();
    d = tiny / 3.0;
    fp_line("subnormal", d, fp_flags_take(d));
    fp_flags_clear();
    d = zero / zero;
    fp_line("0/0", d, fp_flags_take(d));
    fp_flags_clear();
    long l;
    double hv = huge;
    __asm__ volatile("fcvt.l.d %0, %1, rtz" : "=r"(l) : "f"(hv));   /* saturates, NV */
    unsigned f = fp_flags_take((double)(l & 1));
    fp_line("fcvt", (double)l, f);
    uint64_t h = fp_work(0, 100000);
    out("fp work ");
    out_hex(h, 16);
    out("\n");
}

typedef struct Command {
    const char *name;
    void (*run)(const char *arg);
} Command;

static const Command commands[] = {
    { "help", cmd_help },
    { "echo", cmd_echo },
    { "sum", cmd_sum },
    { "churn", cmd_churn },
    { "spawn", cmd_spawn },
    { "fp", cmd_fp },
    { "disk", cmd_disk },
    { "cat", cmd_cat },
    { "uptime", cmd_uptime },
    { "instret", cmd_instret },
    { "poweroff", cmd_poweroff },
};

static void run_line(char *line)
{
    while (*line == ' ') {
        line++;
    }
    if (!*line) {
        return;
    }
    char *arg = line;
    while (*arg && *arg != ' ') {
        arg++;
    }
    if (*arg) {
        *arg++ = 0;
        while (*arg == ' ') {
            arg++;
        }
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (str_eq(line, commands[i].name)) {
            commands[i].run(arg);
            return;
        }
    }
    out(line);
    out(": unknown command (try help)\n");
}

/* One line from the console; the tty does the editing (canonical mode).
 * Returns -1 at end of input. */
static long read_line(char *buf, size_t size)
{
    size_t n = 0;
    for (;;) {
        char c;
        long r = sys_call(SYS_read, 0, (long)&c, 1, 0, 0);
        if (r <= 0) {
            return n ? (long)n : -1;
        }
        if (c == '\n' || c == '\r') {
            break;
        }
        if (n + 1 < size) {
            buf[n++] = c;
        }
    }
    buf[n] = 0;
    return (long)n;
}

/* The kernel hands /init the words after `--` on its command line: they
 * are run as if typed at the first prompt, `;` separating commands
 * (`-append "... -- instret ; poweroff"` boots to the prompt, prints the
 * instruction count and stops: the boot benchmark). */
static void run_args(int argc, char **argv, char *line, size_t size)
{
    size_t n = 0;
    for (int i = 1; i <= argc; i++) {
        if (i == argc || str_eq(argv[i], ";")) {
            line[n ? n - 1 : 0] = 0;
            out(line);
            out("\n");
            run_line(line);
            out("# ");
            n = 0;
            continue;
        }
        for (const char *a = argv[i]; *a && n + 2 < size; a++) {
            line[n++] = *a;
        }
        if (n + 1 < size) {
            line[n++] = ' ';
        }
    }
}

int init_main(int argc, char **argv)
{
    static char line[256];
    long tms[4];
    ticks_at_start = sys_call(SYS_times, (long)tms, 0, 0, 0, 0);
    sys_call(SYS_mkdirat, AT_FDCWD, (long)"/dev", 0755, 0, 0);
    sys_call(SYS_mkdirat, AT_FDCWD, (long)"/proc", 0555, 0, 0);
    long r = sys_call(SYS_mount, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs", 0, 0);
    if (r < 0) {
        out("init: mount devtmpfs: error ");
        out_dec(r);
        out("\n");
    }
    sys_call(SYS_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0);
    out("amber-init: tiny shell (rv64gc, no libc); type help\n");
    out("# ");
    if (argc > 1) {
        run_args(argc, argv, line, sizeof(line));
    }
    for (;;) {
        if (read_line(line, sizeof(line)) < 0) {
            /* No more input: stay alive (init must not exit). */
            long ts[2] = { 3600, 0 };
            sys_call(101 /* nanosleep */, (long)ts, 0, 0, 0, 0);
            continue;
        }
        run_line(line);
        out("# ");
    }
}

/* amber: the command line (QEMU's spelling); consoles and monitors are monitor/'s.
 *
 * Time: -icount shift=N (default 3: 8 ns per instruction) is deterministic;
 * shift 3 makes virtual time run near our interpreter's real speed, so a
 * guest that busy-waits on mtime (U-Boot's bootdelay, udelay loops) spends
 * 125 M instructions per virtual second instead of 1 G with shift=0.
 * `-icount shift=auto` selects host-clock mode (time follows CLOCK_MONOTONIC;
 * runs are then not reproducible), the closest thing to QEMU's adaptive
 * icount. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hw/riscv/machine.h"
#include "hw/riscv/machine-vmstate.h"
#include "migration/snapshot.h"
#include "migration/migration.h"
#include "system/machine-migration.h"
#include "system/machine-replay.h"
#include "system/main-loop.h"
#include "system/main-opts.h"
#include "util/log.h"
#include "emu/runstate.h"
#include "monitor/monitor.h"
#include "gdbstub/gdbstub.h"

#ifndef AMBER_VERSION
#define AMBER_VERSION "0.0.0"
#endif

#define DEFAULT_ICOUNT_SHIFT 3
#define MIN_RAM (16ull << 20)
#define MAX_RAM (1ull << 40)

static Machine machine;
static MigrationVM *machine_vm;  /* the machine as migration sees it */

typedef struct CmdLine {
    MachineOptions opts;
    const char *incoming;        /* -incoming URI */
    const char *dump_vmstate;    /* -dump-vmstate FILE */
    const char *loadvm;          /* -loadvm TAG */
    const char *gdb;             /* -gdb DEV, -s */
    ReplayMode rr_mode;          /* -record, -replay, -icount rr= */
    bool reverse;                /* -reverse */
    uint64_t reverse_interval, reverse_mem;
    const char *rr_file;         /* -record FILE, -icount rrfile= */
} CmdLine;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("amber: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Where the library's warnings go (a probed raw image): stderr, as a line. */
static void main_warn(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "%s\n", msg);
}

/* A failure no command waits for (a migration from the main loop): stderr,
 * as die() words it, but amber goes on. */
static void main_report(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "amber: %s\n", msg);
}

/* The main loop asks the machine's migration before it touches the
 * machine (an incoming load on its thread owns it) and before each CPU
 * slice (the auto-converge throttle). */
static bool main_machine_busy(void)
{
    return machine_vm && migration_incoming_loading(machine_vm->mig);
}

static uint64_t main_cpu_gate(void)
{
    return machine_vm ? migration_throttle_wait_ns(machine_vm->mig) : 0;
}

static void main_usage(void)
{
    printf("usage: amber [options]\n"
           "RISC-V (RV64) system emulator of QEMU's riscv 'virt' board.\n"
           "\n"
           "Machine:\n"
           "  -M, -machine virt[,dumpdtb=FILE]  board (only 'virt'; 'help' lists boards)\n"
           "  -m SIZE               RAM size; plain number in MiB, or with K/M/G/T suffix\n"
           "                        (default 128M, at least 16M)\n"
           "  -smp [cpus=]N         N harts, 1 to 8 (default 1)\n"
           "Boot:\n"
           "  -bios FILE|default|none\n"
           "                        M-mode firmware at 0x80000000 (default: Debian's OpenSBI\n"
           "                        /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin);\n"
           "                        'none' boots -kernel directly in M-mode\n"
           "  -kernel FILE          ELF (loaded at its addresses) or raw image (0x80200000\n"
           "                        after firmware, 0x80000000 with -bios none)\n"
           "  -append STRING        kernel command line (/chosen/bootargs)\n"
           "  -initrd FILE          initial ramdisk (/chosen/linux,initrd-start/end)\n"
           "  -dumpdtb FILE         write the generated device tree blob and exit\n"
           "Disks:\n"
           "  -drive file=PATH[,format=qcow2|raw][,if=virtio|none][,id=NAME][,readonly=on]\n"
           "         [,snapshot=on][,index=N][,media=disk]\n"
           "                        a disk image; if=virtio (default) attaches virtio-blk on\n"
           "                        virtio-mmio (first drive at 0x10008000; QEMU's riscv virt\n"
           "                        makes a PCI disk of if=virtio); snapshot=on: the\n"
           "                        guest's writes stay in memory and are discarded at exit,\n"
           "                        the image is only read (blocks migrate and savevm)\n"
           "  -snapshot             snapshot=on for every drive without snapshot=off\n"
           "  -hda FILE             -drive file=FILE,index=0,media=disk\n"
           "  -device virtio-blk-device,drive=ID[,serial=S]\n"
           "                        the if=none drive ID on the next virtio-mmio slot (QEMU's\n"
           "                        spelling: one command line for both); -device help\n"
           "Network (doc/net.md):\n"
           "  -netdev user,id=ID[,net=ADDR/MASK][,host=ADDR][,dns=ADDR][,dhcpstart=ADDR]\n"
           "          [,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...\n"
           "          [,restrict=on|off]\n"
           "                        user-mode network (libslirp): 10.0.2.0/24, gateway .2,\n"
           "                        DNS .3, DHCP .15; hostfwd without address binds 127.0.0.1\n"
           "  -device virtio-net-device,netdev=ID[,mac=MAC][,id=NAME]\n"
           "                        a virtio-net NIC on the next virtio-mmio slot\n"
           "  -nic user[,mac=MAC][,model=virtio-net-device][,user options]\n"
           "                        -netdev user and its NIC in one\n"
           "Console:\n"
           "  -nographic            serial console and monitor on stdio (Ctrl-A c switches,\n"
           "                        Ctrl-A x quits, Ctrl-A h helps)\n"
           "  -serial stdio|mon:stdio|null|none|file:PATH|chardev:ID|unix:PATH,server[,nowait]\n"
           "          |tcp:HOST:PORT,server[,nowait]|telnet:HOST:PORT,server[,nowait]\n"
           "                        back end of UART0 (default stdio; null with -monitor stdio)\n"
           "  -monitor stdio|unix:PATH,server[,nowait]|tcp:HOST:PORT,server[,nowait]\n"
           "           |telnet:HOST:PORT,server[,nowait]|none\n"
           "                        the HMP monitor (repeatable; see doc/monitor.md); on a\n"
           "                        pipe, stdio runs a batch file and exits at its end\n"
           "  -chardev stdio|null,id=ID[,mux=on]   -chardev file,id=ID,path=PATH\n"
           "  -chardev socket,id=ID,path=PATH|host=HOST,port=PORT,server=on[,wait=off]\n"
           "           [,telnet=on]  a named back end for -serial chardev:ID and -mon\n"
           "  -mon chardev=ID[,mode=readline]\n"
           "                        a monitor on chardev ID (mux=on shares stdio with -serial)\n"
           "  -nodefaults           no default serial port or monitor\n"
           "  -display none         accepted (there is no graphical display)\n"
           "Time and run control:\n"
           "  -icount [shift=]N[,sleep=on|off]\n"
           "                        deterministic time, 2^N ns per instruction (default 3);\n"
           "                        sleep=on (default, as QEMU) paces the guest to the wall\n"
           "                        clock: it never runs ahead of it, and WFI waits in real\n"
           "                        time; sleep=off runs flat out (a guest's sleep 1 returns\n"
           "                        at once). Same output and instret either way\n"
           "  -icount shift=auto    host-clock time (not reproducible)\n"
           "  -accel tcg[,jit=on|off]\n"
           "                        the CPU back end: jit=on (default) runs x86-64 host code\n"
           "                        made from the guest's blocks (on other hosts: the\n"
           "                        interpreter); jit=off the interpreter. Same instruction\n"
           "                        counts, output and state either way. The environment\n"
           "                        variable AMBER_JIT=off|on sets the default\n"
           "  -record FILE          record the run's inputs (serial, system_reset, loadvm,\n"
           "                        network frames, set_link)\n"
           "  -replay FILE          replay a recorded run: same transcript, same final state;\n"
           "                        the log replaces the network back end\n"
           "  -icount shift=N,rr=record|replay,rrfile=FILE   QEMU's spelling of the two\n"
           "  -reverse on[,interval=N][,mem=SIZE]   checkpoints for gdb's reverse-stepi and\n"
           "                        reverse-continue (default every 10M instructions, 512M);\n"
           "                        with -replay it re-executes with the log's inputs\n"
           "  -rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]\n"
           "                        RTC start (a fixed date makes runs reproducible)\n"
           "  -S                    do not start the CPU (paused in 'prelaunch')\n"
           "  -no-reboot            exit instead of resetting when the guest asks\n"
           "  -no-shutdown          stop (run state 'shutdown') instead of exiting when the\n"
           "                        guest powers off; system_reset then cont runs it again\n"
           "VM state:\n"
           "  -incoming tcp:HOST:PORT|unix:PATH|exec:CMD|fd:N|file:PATH|defer\n"
           "                        start from a migration stream (defer: migrate_incoming)\n"
           "  -loadvm TAG           start from the internal snapshot TAG of the disks\n"
           "  -dump-vmstate FILE    write every VM state section as JSON and exit\n"
           "Process:\n"
           "  -name NAME|guest=NAME[,process=PNAME]\n"
           "                        the VM's name (info name, the monitor banner)\n"
           "  -pidfile FILE         write the process id to FILE (locked; removed at exit)\n"
           "  -daemonize            detach once the monitors listen (no stdio back ends)\n"
           "Debugger (doc/gdb.md):\n"
           "  -gdb tcp:[HOST]:PORT|unix:PATH[,server]|none\n"
           "                        wait for gdb's remote protocol there (an empty HOST is\n"
           "                        127.0.0.1); gdb -ex 'target remote :1234'\n"
           "  -s                    -gdb tcp::1234\n"
           "Debug log (doc/monitor.md, as QEMU):\n"
           "  -d ITEM[,...]         log items: in_asm,int,exec,cpu,mmu,unimp,guest_errors\n"
           "                        ('-d help' lists them)\n"
           "  -D FILE               write the log to FILE instead of stderr\n"
           "Other:\n"
           "  -h, -help, --help     this text\n"
           "  -version, --version   version and copyright\n"
           "\n"
           "The exit status is the guest's sifive_test (or HTIF) exit code & 0xff.\n");
}

static void main_version(void)
{
    printf("amber version %s\n"
           "Copyright (c) 2026 the Amber developers\n", AMBER_VERSION);
}

/* -smp N or -smp cpus=N[,maxcpus=N] (QEMU's forms; one socket, one core
 * per hart, no hotplug): 1..MACHINE_MAX_HARTS. */
static int parse_smp(const char *s)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    long cpus = -1, maxcpus = -1;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        const char *v = tok;
        long *dst = &cpus;
        if (!strncmp(tok, "cpus=", 5)) {
            v = tok + 5;
        } else if (!strncmp(tok, "maxcpus=", 8)) {
            v = tok + 8;
            dst = &maxcpus;
        } else if (strchr(tok, '=') || tok != buf) {
            die("-smp %s: only cpus=N and maxcpus=N are supported", s);
        }
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (end == v || *end || errno || n < 0) {
            die("Parameter 'smp.%s' expects integer", dst == &cpus ? "cpus" : "maxcpus");
        }
        *dst = n;
    }
    if (cpus < 0) {
        cpus = maxcpus;
    }
    if (cpus == 0 || maxcpus == 0) {
        die("-smp %s: CPU topology parameters must be greater than zero", s);
    }
    if (maxcpus >= 0 && maxcpus != cpus) {
        die("-smp %s: maxcpus must equal cpus (no CPU hotplug)", s);
    }
    if (cpus > MACHINE_MAX_HARTS) {
        die("Invalid SMP CPUs %ld. The max CPUs supported by machine 'virt' is %d", cpus,
            MACHINE_MAX_HARTS);
    }
    return (int)cpus;
}

/* -m: a plain number is MiB, as in QEMU; suffixes K, M, G, T (any case,
 * an optional trailing B). */
static uint64_t parse_ram_size(const char *s)
{
    const char *v = strncmp(s, "size=", 5) == 0 ? s + 5 : s;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || errno || *v == '-') {
        die("-m %s: invalid RAM size", s);
    }
    unsigned shift = 20;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        case 'b': case 'B': shift = 0; end--; break;
        default: die("-m %s: invalid RAM size (use a number of MiB or a K/M/G/T suffix)", s);
        }
        end++;
        if (*end == 'b' || *end == 'B') {
            end++;
        }
        if (*end) {
            die("-m %s: invalid RAM size", s);
        }
    }
    if (n > (MAX_RAM >> shift)) {
        die("-m %s: RAM size is larger than the maximum of 1 TiB", s);
    }
    uint64_t size = (uint64_t)n << shift;
    if (size < MIN_RAM) {
        die("-m %s: RAM size must be at least 16 MiB", s);
    }
    if (size & (PAGE_SIZE - 1)) {
        die("-m %s: RAM size must be a multiple of 4 KiB", s);
    }
    return size;
}

static void parse_machine(CmdLine *cl, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = false) {
        const char *type = NULL;
        if (strncmp(tok, "type=", 5) == 0) {
            type = tok + 5;
        } else if (first && !strchr(tok, '=')) {
            type = tok;
        }
        if (type) {
            if (strcmp(type, "help") == 0 || strcmp(type, "?") == 0) {
                printf("Supported machines are:\n"
                       "virt                 RISC-V VirtIO board (default)\n");
                exit(0);
            }
            if (strcmp(type, "virt") != 0) {
                die("-machine %s: unsupported machine type (supported machines: virt)", type);
            }
            continue;
        }
        if (strncmp(tok, "dumpdtb=", 8) == 0) {
            cl->opts.dtb_dump = strdup(tok + 8);
            continue;
        }
        die("-machine %s: unknown machine property '%s'", arg, tok);
    }
    free(copy);
}

/* -accel tcg[,jit=on|off]: TCG is Amber's one accelerator; jit= picks its
 * back end (x86-64 host code, or the interpreter). */
static void parse_accel(CmdLine *cl, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = false) {
        if (first && !strchr(tok, '=')) {
            if (strcmp(tok, "tcg") != 0) {
                die("-accel %s: accelerator '%s' is not supported by Amber (only tcg)", arg, tok);
            }
        } else if (first || strncmp(tok, "accel=", 6) == 0) {
            die("-accel %s: Parameter 'accel' is missing", arg);
        } else if (strcmp(tok, "jit=on") == 0) {
            cl->opts.jit = true;
        } else if (strcmp(tok, "jit=off") == 0) {
            cl->opts.jit = false;
        } else if (strncmp(tok, "jit=", 4) == 0) {
            die("-accel %s: Parameter 'jit' expects 'on' or 'off'", arg);
        } else {
            die("-accel %s: Invalid parameter '%s'", arg, tok);
        }
    }
    free(copy);
}

static void parse_icount(CmdLine *cl, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), first = false) {
        const char *shift = NULL;
        if (strncmp(tok, "shift=", 6) == 0) {
            shift = tok + 6;
        } else if (first && !strchr(tok, '=')) {
            shift = tok;
        }
        if (shift) {
            if (strcmp(shift, "auto") == 0) {
                cl->opts.clock_mode = CLOCK_MODE_HOST;
                continue;
            }
            char *end;
            unsigned long n = strtoul(shift, &end, 10);
            if (end == shift || *end || n > 10) {
                die("-icount %s: shift must be a number from 0 to 10, or auto", arg);
            }
            cl->opts.clock_mode = CLOCK_MODE_ICOUNT;
            cl->opts.icount_shift = (unsigned)n;
        } else if (strcmp(tok, "rr=record") == 0) {
            cl->rr_mode = REPLAY_MODE_RECORD;
        } else if (strcmp(tok, "rr=replay") == 0) {
            cl->rr_mode = REPLAY_MODE_PLAY;
        } else if (strcmp(tok, "rr=off") == 0) {
            cl->rr_mode = REPLAY_MODE_NONE;
        } else if (strncmp(tok, "rrfile=", 7) == 0 && tok[7]) {
            cl->rr_file = strdup(tok + 7);
        } else if (strcmp(tok, "sleep=on") == 0) {
            cl->opts.icount_sleep = true;
        } else if (strcmp(tok, "sleep=off") == 0) {
            cl->opts.icount_sleep = false;
        } else {
            die("-icount %s: unknown parameter '%s'", arg, tok);
        }
    }
    free(copy);
}

/* -reverse on|off[,interval=N][,mem=SIZE] */
static void parse_reverse(CmdLine *cl, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        if (!strcmp(tok, "on") || !strcmp(tok, "off")) {
            cl->reverse = tok[1] == 'n';
        } else if (!strncmp(tok, "interval=", 9)) {
            cl->reverse_interval = strtoull(tok + 9, &end, 10);
            if (end == tok + 9 || *end || !cl->reverse_interval) {
                die("-reverse %s: interval must be a number of instructions above 0", arg);
            }
        } else if (!strncmp(tok, "mem=", 4)) {
            cl->reverse_mem = parse_ram_size(tok + 4);
        } else {
            die("-reverse %s: unknown parameter '%s' (on|off, interval=N, mem=SIZE)", arg, tok);
        }
    }
    free(copy);
}

static uint64_t parse_rtc_date(const char *arg, const char *date)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char tail;
    int n = sscanf(date, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail);
    if (n != 6 && n != 3) {
        die("-rtc %s: invalid date (use utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)", arg);
    }
    if (n == 3 && strchr(date, 'T')) {
        die("-rtc %s: invalid date", arg);
    }
    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 ||
        tm.tm_sec < 0) {
        die("-rtc %s: date out of range", arg);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    uint64_t ns = (uint64_t)t * 1000000000ull;
    return ns ? ns : 1;          /* 0 means "host time" */
}

static void parse_rtc(CmdLine *cl, const char *arg)
{
    char *copy = strdup(arg);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "base=utc") == 0) {
            cl->opts.rtc_base_ns = 0;
        } else if (strcmp(tok, "base=localtime") == 0) {
            time_t now = time(NULL);
            struct tm lt;
            localtime_r(&now, &lt);
            cl->opts.rtc_base_ns = clock_realtime_ns() + (uint64_t)((int64_t)lt.tm_gmtoff * 1000000000);
        } else if (strncmp(tok, "base=", 5) == 0) {
            cl->opts.rtc_base_ns = parse_rtc_date(arg, tok + 5);
        } else if (strcmp(tok, "clock=vm") == 0) {
            /* the RTC always follows the virtual clock */
        } else if (strncmp(tok, "clock=", 6) == 0) {
            die("-rtc %s: not supported (the RTC follows the virtual clock; "
                "use -icount shift=auto for host time)", arg);
        } else {
            die("-rtc %s: unknown parameter '%s'", arg, tok);
        }
    }
    free(copy);
}


/* The process's debug log: the machine's harts and devices write to it. */
static Log main_log;

/* -d ITEMS and -D FILE. Like QEMU, `-d help` prints the list and exits 0; a
 * bad item or file prints "amber: ..." (and the list) and exits 1. */
static void log_opt_d(const char *items)
{
    Error err;
    error_init(&err);
    unsigned mask;
    if (!strcmp(items, "help") || !strcmp(items, "?")) {
        log_print_items(stdout);
        exit(0);
    }
    if (!log_parse_items(items, &mask, &err)) {
        fprintf(stderr, "amber: -d %s: %s\n", items, err.msg);
        log_print_items(stderr);
        exit(1);
    }
    log_set_mask(&main_log, mask);
}

static void log_opt_D(const char *path)
{
    Error err;
    error_init(&err);
    if (!log_set_file(&main_log, path, &err)) {
        fprintf(stderr, "amber: -D: %s\n", err.msg);
        exit(1);
    }
}

static void parse_args(CmdLine *cl, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            die("%s: invalid option (options start with '-'; see -h)", a);
        }
        const char *opt = (a[1] == '-') ? a + 1 : a;   /* --opt == -opt, as QEMU */
        Error e;
        error_init(&e);
        int r = main_opts_parse(&cl->opts, argc, argv, &i, &e);
        if (r < 0) {
            die("%s", e.msg);
        } else if (r > 0) {
            continue;            /* -name, -chardev, -serial, ...: system/main-opts.c */
        }
        static const char *const with_arg[] = {
            "-M", "-machine", "-m", "-bios", "-kernel", "-append", "-initrd",
            "-display", "-icount", "-rtc", "-dumpdtb", "-smp", "-incoming",
            "-dump-vmstate", "-drive", "-loadvm", "-d", "-D", "-gdb", "-accel", "-record",
            "-replay", "-reverse", NULL,
        };
        const char *val = NULL;
        for (int k = 0; with_arg[k]; k++) {
            if (strcmp(opt, with_arg[k]) == 0) {
                if (i + 1 >= argc) {
                    die("%s: requires an argument", a);
                }
                val = argv[++i];
            }
        }
        if (!strcmp(opt, "-h") || !strcmp(opt, "-help")) {
            main_usage();
            exit(0);
        } else if (!strcmp(opt, "-version")) {
            main_version();
            exit(0);
        } else if (!strcmp(opt, "-M") || !strcmp(opt, "-machine")) {
            parse_machine(cl, val);
        } else if (!strcmp(opt, "-m")) {
            cl->opts.ram_size = parse_ram_size(val);
        } else if (!strcmp(opt, "-bios")) {
            cl->opts.bios = strcmp(val, "default") ? val : NULL;   /* QEMU's spelling */
        } else if (!strcmp(opt, "-kernel")) {
            cl->opts.kernel = val;
        } else if (!strcmp(opt, "-append")) {
            cl->opts.append = val;
        } else if (!strcmp(opt, "-initrd")) {
            cl->opts.initrd = val;
        } else if (!strcmp(opt, "-dumpdtb")) {
            cl->opts.dtb_dump = val;
        } else if (!strcmp(opt, "-display")) {
            if (strcmp(val, "none") != 0) {
                die("-display %s: not supported (only -display none)", val);
            }
        } else if (!strcmp(opt, "-icount")) {
            parse_icount(cl, val);
        } else if (!strcmp(opt, "-accel")) {
            parse_accel(cl, val);
        } else if (!strcmp(opt, "-rtc")) {
            parse_rtc(cl, val);
        } else if (!strcmp(opt, "-gdb")) {
            cl->gdb = val;
        } else if (!strcmp(opt, "-reverse")) {
            parse_reverse(cl, val);
        } else if (!strcmp(opt, "-record") || !strcmp(opt, "-replay")) {
            cl->rr_mode = opt[2] == 'e' && opt[3] == 'c' ? REPLAY_MODE_RECORD : REPLAY_MODE_PLAY;
            cl->rr_file = val;
        } else if (!strcmp(opt, "-s")) {
            cl->gdb = GDB_DEFAULT_DEVICE;
        } else if (!strcmp(opt, "-S")) {
            cl->opts.start_paused = true;
        } else if (!strcmp(opt, "-incoming")) {
            cl->incoming = val;
        } else if (!strcmp(opt, "-loadvm")) {
            cl->loadvm = val;
        } else if (!strcmp(opt, "-dump-vmstate")) {
            cl->dump_vmstate = val;
        } else if (!strcmp(opt, "-snapshot")) {
            cl->opts.snapshot = true;
        } else if (!strcmp(opt, "-no-reboot")) {
            cl->opts.no_reboot = true;
        } else if (!strcmp(opt, "-drive")) {
            if (cl->opts.nr_drives == MACHINE_MAX_DRIVES) {
                die("-drive %s: at most %d drives", val, MACHINE_MAX_DRIVES);
            }
            cl->opts.drives[cl->opts.nr_drives++] = val;
        } else if (!strcmp(opt, "-d")) {
            log_opt_d(val);
        } else if (!strcmp(opt, "-D")) {
            log_opt_D(val);
        } else if (!strcmp(opt, "-smp")) {
            cl->opts.smp = parse_smp(val);
        } else {
            die("%s: invalid option (see -h)", a);
        }
    }
    if (cl->opts.append && !cl->opts.kernel) {
        die("-append only allowed with -kernel option");
    }
    if (cl->opts.initrd && !cl->opts.kernel) {
        die("-initrd only allowed with -kernel option");
    }
}

static void dump_dtb(const Machine *m, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        die("-dumpdtb %s: %s", path, strerror(errno));
    }
    if (fwrite(m->fdt, 1, m->fdt_size, f) != m->fdt_size || fclose(f) != 0) {
        die("-dumpdtb %s: %s", path, strerror(errno));
    }
}

/* The main loop's hooks take an opaque; the monitor's take their hub. */
static void main_monitor_cleanup(void *opaque)
{
    monitor_cleanup(opaque);
}

static bool main_monitor_interrupt(void *opaque)
{
    return monitor_interrupt(opaque);
}

/* The GDB stub's hooks: its monitor passthrough and the main loop's stops. */
static char *main_gdb_monitor(void *opaque, const char *line, int hart)
{
    return monitor_run_captured(opaque, line, hart);
}

static void main_gdb_stop(void *opaque)
{
    gdb_server_debug_stop(opaque);
}

static MachineReplay mreplay;    /* -record, -replay, -reverse */

static void main_gdb_poll(void *opaque)
{
    machine_replay_poll(&mreplay);
    gdb_server_poll(opaque);
}

int main(int argc, char **argv)
{
    CmdLine cl;
    memset(&cl, 0, sizeof(cl));
    cl.opts.machine = "virt";
    cl.opts.ram_size = MACHINE_DEFAULT_RAM;
    cl.opts.clock_mode = CLOCK_MODE_ICOUNT;
    cl.opts.icount_shift = DEFAULT_ICOUNT_SHIFT;
    cl.opts.icount_sleep = true;     /* QEMU's -icount default: paced to the wall clock */
    /* The JIT where the host has one; AMBER_JIT=off|on changes the default
     * (the test scripts run every guest under both back ends with it). */
    const char *jit_env = getenv("AMBER_JIT");
    cl.opts.jit = !(jit_env && strcmp(jit_env, "off") == 0);
    parse_args(&cl, argc, argv);
    Loop *loop = main_loop_init();
    MonitorHub *monitors = monitor_hub_new(loop);    /* the machine's monitors, freed at the end */
    Error oe;
    error_init(&oe);
    if (main_opts_finish(&cl.opts, monitors, &oe) < 0 || main_opts_daemonize(&oe) < 0) {
        die("%s", oe.msg);
    }

    if (!monitor_init_serial(monitors, &machine.serial0, &oe)) {
        die("%s", oe.msg);
    }
    cl.opts.incoming = cl.incoming != NULL;
    cl.opts.replaying = cl.rr_mode == REPLAY_MODE_PLAY;
    if (cl.rr_mode != REPLAY_MODE_NONE) {
        Error re;
        error_init(&re);
        if (!cl.rr_file) {
            die("-icount rr=%s: needs rrfile=FILE", cl.rr_mode == REPLAY_MODE_RECORD ? "record" : "replay");
        }
        if (cl.opts.clock_mode != CLOCK_MODE_ICOUNT) {
            die("%s: record/replay needs instruction-counted time; host-clock mode "
                "(-icount shift=auto) is not reproducible", cl.rr_file);
        }
        if (cl.incoming) {
            die("%s: record/replay cannot start from an incoming migration", cl.rr_file);
        }
        if (cl.rr_mode == REPLAY_MODE_PLAY) {
            if (!machine_replay_peek_rtc(cl.rr_file, &cl.opts.rtc_base_ns, &re)) {
                die("-replay %s", re.msg);
            }
        } else if (cl.opts.rtc_base_ns == 0) {
            cl.opts.rtc_base_ns = clock_realtime_ns();   /* logged: the replay starts from it */
        }
    }
    cl.opts.warn = (Reporter){ .fn = main_warn };
    cl.opts.log = &main_log;
    cl.opts.loop = loop;         /* polls the network back ends */
    Error me;
    error_init(&me);
    MigrationVM *vm = NULL;
    if (!machine_init(&machine, &cl.opts, &me) ||
        !(vm = machine_migration_attach(&machine, loop, &me))) {
        die("%s", me.msg);
    }
    main_loop_set_machine(&machine);
    monitor_set_machine(monitors, &machine, vm);
    machine_vm = vm;
    main_loop_set_machine_busy(main_machine_busy);
    main_loop_set_cpu_gate(main_cpu_gate);
    migration_set_reporter(vm->mig, &(Reporter){ .fn = main_report });
    if (cl.opts.dtb_dump) {
        dump_dtb(&machine, cl.opts.dtb_dump);
        monitor_hub_free(monitors);
        machine_migration_detach(vm);
        machine_destroy(&machine);
        return 0;
    }

    if (cl.dump_vmstate) {
        Error e;
        error_init(&e);
        if (machine_dump_vmstate(&machine, cl.dump_vmstate, &e) < 0) {
            die("%s", e.msg);
        }
        monitor_hub_free(monitors);
        machine_migration_detach(vm);
        machine_destroy(&machine);
        return 0;
    }

    if (cl.incoming) {
        Error e;
        error_init(&e);
        int ret = 0;
        if (!strcmp(cl.incoming, "defer")) {
            migration_incoming_set_defer(vm->mig, true);   /* migrate_incoming URI later */
            runstate_set(vm->run, RUN_STATE_INMIGRATE);
        } else {
            ret = migration_incoming_start(vm->mig, cl.incoming, cl.opts.start_paused, true,
                                           &e);
        }
        if (ret < 0) {
            monitor_cleanup(monitors);
            die("load of migration failed: %s: %s", strerror(-ret), e.msg);
        }
    } else {
        runstate_set(vm->run, cl.opts.start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING);
    }
    if (cl.loadvm) {
        Error e;
        error_init(&e);
        if (cl.incoming || snapshot_load(vm, cl.loadvm, &e) < 0) {
            monitor_cleanup(monitors);
            die("-loadvm %s: %s", cl.loadvm,
                cl.incoming ? "cannot be combined with -incoming" : e.msg);
        }
    }
    if (cl.rr_mode != REPLAY_MODE_NONE) {
        Error re;
        error_init(&re);
        if (!machine_replay_start(&mreplay, &machine, vm, cl.rr_mode, cl.rr_file, &re)) {
            monitor_cleanup(monitors);
            die("-%s %s", cl.rr_mode == REPLAY_MODE_RECORD ? "record" : "replay", re.msg);
        }
        monitor_set_replay(monitors, &mreplay.r);
        if (cl.rr_mode == REPLAY_MODE_PLAY) {
            main_loop_set_replay(machine_replay_limit, &mreplay);
        } else {
            main_loop_set_replay(machine_replay_record_limit, &mreplay);
        }
    }
    if (cl.reverse) {
        Error re;
        error_init(&re);
        if (!machine_reverse_start(&mreplay, &machine, vm, cl.reverse_interval, cl.reverse_mem,
                                   &re)) {
            monitor_cleanup(monitors);
            die("-reverse: %s", re.msg);
        }
        if (cl.rr_mode == REPLAY_MODE_NONE) {
            main_loop_set_replay(machine_replay_record_limit, &mreplay);
        }
    }
    GdbStub *gdb = gdb_server_new(&machine, loop);
    gdb_server_set_reverse(gdb, cl.reverse ? &mreplay.rv : NULL);
    gdb_server_set_replay(gdb, cl.rr_mode != REPLAY_MODE_NONE ? &mreplay.r : NULL);
    monitor_set_reverse(monitors, cl.reverse ? &mreplay.rv : NULL);
    gdb_server_set_monitor(gdb, main_gdb_monitor, monitors);
    monitor_set_gdb(monitors, gdb);
    main_loop_set_debugger(main_gdb_stop, main_gdb_poll, gdb);
    if (cl.gdb) {
        Error ge;
        error_init(&ge);
        if (!gdb_server_start(gdb, cl.gdb, &ge)) {
            monitor_cleanup(monitors);
            die("-gdb %s: %s", cl.gdb, ge.msg);
        }
    }
    main_loop_install_signals();
    main_loop_set_cleanup(main_monitor_cleanup, monitors);
    main_loop_set_interrupt(main_monitor_interrupt, monitors);
    monitor_set_vm_name(monitors, main_opts_name());
    Error se;
    error_init(&se);
    if (!monitor_start(monitors, &se)) {
        monitor_cleanup(monitors);
        die("%s", se.msg);
    }
    main_opts_ready();           /* -daemonize: the parent exits now */
    int status = main_loop_run(&machine);
    machine_replay_finish(&mreplay);
    main_loop_set_replay(NULL, NULL);
    gdb_server_exit(gdb, status);
    monitor_cleanup(monitors);
    migration_incoming_abort(vm->mig);   /* a loader thread must not outlive the machine */
    monitor_hub_free(monitors);  /* before the machine: expect taps its serial port */
    main_loop_set_debugger(NULL, NULL, NULL);
    gdb_server_free(gdb);
    machine_vm = NULL;
    machine_replay_free(&mreplay);
    machine_migration_detach(vm);
    machine_destroy(&machine);
    return status;
}

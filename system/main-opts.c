/* QEMU's process and character-device options (see system/main-opts.h).
 * QEMU (qemu-options.hx, system/vl.c, chardev/) is the reference for the
 * syntax, the defaults and the messages; the differences are written down
 * in doc/cmdline.md. -chardev definitions are turned into the -serial and
 * -monitor spellings monitor/setup.c already opens, so there is one place
 * that owns sockets and the terminal. */
#include "system/main-opts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/uri.h"

#define MAX_CHARDEVS 16
#define MAX_MONITORS 8

typedef enum ChardevBackend {
    CHR_STDIO,
    CHR_NULL,
    CHR_FILE,
    CHR_SOCKET,
} ChardevBackend;

typedef struct ChardevSpec {
    char *arg;                   /* as given, for messages */
    char *id;
    ChardevBackend backend;
    char *path, *host, *port;
    bool server, wait, telnet, mux;
    int users;                   /* -mon and -serial chardev: references */
    bool serial_user;
} ChardevSpec;

/* One -monitor (spec) or -mon (chardev id, spec NULL), in order. */
typedef struct MonitorRef {
    const char *arg;
    const char *spec;
    const char *chardev;
} MonitorRef;

static struct {
    const char *name;
    const char *pidfile;
    char *pidfile_abs;           /* unlinked at exit (the cwd may change) */
    bool daemonize, nodefaults, nographic;
    const char *serial;          /* -serial as given */
    char *serial_spec;           /* the -serial spelling of a -serial chardev:ID */
    MonitorRef mons[MAX_MONITORS];
    int nr_mons;
    ChardevSpec chr[MAX_CHARDEVS];
    int nr_chr;
    int ready_fd;                /* -daemonize: the parent waits on its other end */
} mo = { .ready_fd = -1 };

const char *main_opts_name(void)
{
    return mo.name;
}

/* on/off as QEMU's boolean properties (yes/no and true/false too). */
static int parse_bool(const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
        return 1;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
        return 0;
    }
    return -1;
}

static ChardevSpec *chardev_find(const char *id)
{
    for (int i = 0; i < mo.nr_chr; i++) {
        if (!strcmp(mo.chr[i].id, id)) {
            return &mo.chr[i];
        }
    }
    return NULL;
}

/* -chardev BACKEND,id=ID[,...] */
static int parse_chardev(const char *arg, Error *err)
{
    if (mo.nr_chr == MAX_CHARDEVS) {
        error_setf(err, "-chardev %s: too many chardevs (limit %d)", arg, MAX_CHARDEVS);
        return -1;
    }
    ChardevSpec *c = &mo.chr[mo.nr_chr];
    memset(c, 0, sizeof(*c));
    c->arg = strdup(arg);
    c->wait = true;              /* QEMU's default; matters for servers only */
    char *copy = strdup(arg);
    char *save = NULL;
    char *backend = strtok_r(copy, ",", &save);
    int ret = 0;
    if (!backend || strchr(backend, '=')) {
        error_setf(err, "-chardev %s: the first item must be the backend (stdio, null, file, "
                   "socket)", arg);
        free(copy);
        return -1;
    }
    if (!strcmp(backend, "stdio")) {
        c->backend = CHR_STDIO;
    } else if (!strcmp(backend, "null")) {
        c->backend = CHR_NULL;
    } else if (!strcmp(backend, "file")) {
        c->backend = CHR_FILE;
    } else if (!strcmp(backend, "socket")) {
        c->backend = CHR_SOCKET;
    } else if (!strcmp(backend, "pipe") || !strcmp(backend, "pty") || !strcmp(backend, "vc") ||
               !strcmp(backend, "udp") || !strcmp(backend, "serial") ||
               !strcmp(backend, "tty") || !strcmp(backend, "ringbuf") ||
               !strcmp(backend, "memory") || !strcmp(backend, "parallel")) {
        error_setf(err, "-chardev %s: chardev backend '%s' is not supported by Amber "
                   "(use stdio, null, file or socket)", arg, backend);
        ret = -1;
    } else {
        error_setf(err, "-chardev %s: '%s' is not a valid char driver name", arg, backend);
        ret = -1;
    }
    for (char *t = strtok_r(NULL, ",", &save); t && ret == 0; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        const char *v = eq ? eq + 1 : NULL;
        if (eq) {
            *eq = '\0';
        }
        int b = v ? parse_bool(v) : 1;     /* bare "server", "telnet": on */
        bool sock = c->backend == CHR_SOCKET;
        if (!strcmp(t, "id") && v && *v) {
            c->id = strdup(v);
        } else if (!strcmp(t, "mux") && b >= 0) {
            c->mux = b;
        } else if (!strcmp(t, "signal") && c->backend == CHR_STDIO && b >= 0) {
            /* Ctrl-C reaches Amber as a signal either way (terminal modes are
             * the console's business) */
        } else if (!strcmp(t, "path") && v && *v && (sock || c->backend == CHR_FILE)) {
            c->path = strdup(v);
        } else if (!strcmp(t, "host") && v && sock) {
            c->host = strdup(v);
        } else if (!strcmp(t, "port") && v && *v && sock) {
            c->port = strdup(v);
        } else if (!strcmp(t, "server") && b >= 0 && sock) {
            c->server = b;
        } else if (!strcmp(t, "wait") && b >= 0 && sock) {
            c->wait = b;
        } else if (!strcmp(t, "nowait") && !v && sock) {
            c->wait = false;
        } else if (!strcmp(t, "telnet") && b >= 0 && sock) {
            c->telnet = b;
        } else if (!strcmp(t, "nodelay") && b >= 0 && sock) {
            /* small writes go out at once anyway */
        } else if (v && b < 0 && (!strcmp(t, "mux") || !strcmp(t, "server") ||
                                  !strcmp(t, "wait") || !strcmp(t, "telnet") ||
                                  !strcmp(t, "signal") || !strcmp(t, "nodelay"))) {
            error_setf(err, "-chardev %s: Parameter '%s' expects 'on' or 'off'", arg, t);
            ret = -1;
        } else {
            error_setf(err, "-chardev %s: Invalid parameter '%s'", arg, t);
            ret = -1;
        }
    }
    free(copy);
    if (ret == 0 && !c->id) {
        error_setf(err, "-chardev %s: Parameter 'id' is missing", arg);
        ret = -1;
    }
    if (ret == 0 && chardev_find(c->id)) {
        error_setf(err, "-chardev %s: Duplicate ID '%s' for chardev", arg, c->id);
        ret = -1;
    }
    if (ret == 0 && c->backend == CHR_FILE && !c->path) {
        error_setf(err, "-chardev %s: chardev: file: no filename given", arg);
        ret = -1;
    }
    if (ret == 0 && c->backend == CHR_SOCKET) {
        if (c->path && (c->host || c->port)) {
            error_setf(err, "-chardev %s: both path and host/port given", arg);
            ret = -1;
        } else if (!c->path && !c->port) {
            error_setf(err, "-chardev %s: chardev: socket: no %s given", arg,
                       c->host ? "port" : "host");
            ret = -1;
        } else if (!c->server) {
            /* QEMU's default is a client; Amber only listens. */
            error_setf(err, "-chardev %s: socket client mode (server=off) is not supported by "
                       "Amber; add server=on", arg);
            ret = -1;
        } else if (c->telnet && c->path) {
            error_setf(err, "-chardev %s: telnet=on needs host= and port=", arg);
            ret = -1;
        }
    }
    if (ret == 0) {
        mo.nr_chr++;
    }
    return ret;
}

/* The -serial / -monitor spelling monitor/setup.c opens for chardev c. */
static char *chardev_spec(const ChardevSpec *c)
{
    char buf[1200];
    switch (c->backend) {
    case CHR_STDIO:
        return strdup("stdio");
    case CHR_NULL:
        return strdup("null");
    case CHR_FILE:
        snprintf(buf, sizeof(buf), "%s%s", uri_scheme_prefix(URI_FILE), c->path);
        return strdup(buf);
    case CHR_SOCKET:
        if (c->path) {
            snprintf(buf, sizeof(buf), "%s%s,server%s", uri_scheme_prefix(URI_UNIX), c->path,
                     c->wait ? "" : ",nowait");
        } else {
            snprintf(buf, sizeof(buf), "%s%s:%s,server%s",
                     uri_scheme_prefix(c->telnet ? URI_TELNET : URI_TCP),
                     c->host ? c->host : "", c->port, c->wait ? "" : ",nowait");
        }
        return strdup(buf);
    }
    return NULL;
}

/* -mon chardev=ID[,mode=readline][,pretty=...] */
static int parse_mon(const char *arg, Error *err)
{
    if (mo.nr_mons == MAX_MONITORS) {
        error_setf(err, "-mon %s: too many monitors (limit %d)", arg, MAX_MONITORS);
        return -1;
    }
    char *copy = strdup(arg);
    char *save = NULL;
    const char *chardev = NULL;
    int ret = 0;
    for (char *t = strtok_r(copy, ",", &save); t && ret == 0; t = strtok_r(NULL, ",", &save)) {
        if (!strncmp(t, "chardev=", 8) && t[8]) {
            chardev = t + 8;
        } else if (!strcmp(t, "mode=readline")) {
            /* the human monitor: the only kind */
        } else if (!strcmp(t, "mode=control")) {
            error_setf(err, "-mon %s: QMP (mode=control) is not supported by Amber; "
                       "use mode=readline (the human monitor)", arg);
            ret = -1;
        } else if (!strncmp(t, "mode=", 5)) {
            error_setf(err, "-mon %s: Parameter 'mode' does not accept value '%s'", arg, t + 5);
            ret = -1;
        } else if (!strncmp(t, "pretty=", 7) && parse_bool(t + 7) >= 0) {
            /* QMP only */
        } else {
            error_setf(err, "-mon %s: Invalid parameter '%s'", arg, t);
            ret = -1;
        }
    }
    if (ret == 0 && !chardev) {
        error_setf(err, "-mon %s: Parameter 'chardev' is missing", arg);
        ret = -1;
    }
    if (ret == 0) {
        MonitorRef *r = &mo.mons[mo.nr_mons++];
        r->arg = arg;
        r->chardev = strdup(chardev);
    }
    free(copy);
    return ret;
}

/* -name NAME | guest=NAME[,process=P][,debug-threads=on|off] */
static int parse_name(const char *arg, Error *err)
{
    char *copy = strdup(arg);
    char *save = NULL;
    int ret = 0;
    bool first = true;
    for (char *t = strtok_r(copy, ",", &save); t && ret == 0;
         t = strtok_r(NULL, ",", &save), first = false) {
        if (!strncmp(t, "guest=", 6)) {
            mo.name = strdup(t + 6);
        } else if (first && !strchr(t, '=')) {
            mo.name = strdup(t);
        } else if (!strncmp(t, "process=", 8) && t[8]) {
            prctl(PR_SET_NAME, t + 8);   /* what ps and top show (15 chars) */
        } else if (!strncmp(t, "debug-threads=", 14) && parse_bool(t + 14) >= 0) {
            /* thread names: nothing to name (one CPU thread) */
        } else {
            error_setf(err, "-name %s: Invalid parameter '%s'", arg, t);
            ret = -1;
        }
    }
    free(copy);
    return ret;
}

/* -hda FILE: QEMU's -drive file=FILE,index=0,media=disk (commas in the
 * name doubled, as -drive needs). */
static int add_hda(MachineOptions *o, const char *file, Error *err)
{
    if (o->nr_drives == MACHINE_MAX_DRIVES) {
        error_setf(err, "-hda %s: at most %d drives", file, MACHINE_MAX_DRIVES);
        return -1;
    }
    size_t n = strlen(file);
    char *s = malloc(2 * n + 32);
    if (!s) {
        error_setf(err, "-hda %s: out of memory", file);
        return -1;
    }
    char *p = s + sprintf(s, "file=");
    for (size_t k = 0; k < n; k++) {
        *p++ = file[k];
        if (file[k] == ',') {
            *p++ = ',';
        }
    }
    strcpy(p, ",index=0,media=disk");
    o->drives[o->nr_drives++] = s;
    return 0;
}

int main_opts_parse(MachineOptions *o, int argc, char **argv, int *i, Error *err)
{
    const char *a = argv[*i];
    const char *opt = (a[1] == '-') ? a + 1 : a;     /* --opt == -opt */
    static const char *const with_arg[] = {
        "-name", "-pidfile", "-hda", "-device", "-chardev", "-mon", "-serial", "-monitor",
        "-netdev", "-nic", NULL,
    };
    static const char *const flags[] = {
        "-daemonize", "-no-shutdown", "-nodefaults", "-nographic", NULL,
    };
    const char *val = NULL;
    bool ours = false;
    for (int k = 0; with_arg[k] && !ours; k++) {
        if (!strcmp(opt, with_arg[k])) {
            if (*i + 1 >= argc) {
                error_setf(err, "%s: requires an argument", a);
                return -1;
            }
            val = argv[++*i];
            ours = true;
        }
    }
    for (int k = 0; flags[k] && !ours; k++) {
        ours = !strcmp(opt, flags[k]);
    }
    if (!ours) {
        return 0;
    }
    if (!strcmp(opt, "-name")) {
        return parse_name(val, err) < 0 ? -1 : 1;
    } else if (!strcmp(opt, "-pidfile")) {
        mo.pidfile = val;
    } else if (!strcmp(opt, "-daemonize")) {
        mo.daemonize = true;
    } else if (!strcmp(opt, "-no-shutdown")) {
        o->no_shutdown = true;
    } else if (!strcmp(opt, "-nodefaults")) {
        mo.nodefaults = true;
    } else if (!strcmp(opt, "-nographic")) {
        mo.nographic = true;
    } else if (!strcmp(opt, "-hda")) {
        return add_hda(o, val, err) < 0 ? -1 : 1;
    } else if (!strcmp(opt, "-device")) {
        if (!strcmp(val, "help") || !strcmp(val, "?")) {
            printf("Storage devices:\n"
                   "name \"virtio-blk-device\", bus virtio-bus\n"
                   "\n"
                   "Network devices:\n"
                   "name \"virtio-net-device\", bus virtio-bus\n");
            exit(0);
        }
        if (o->nr_devices == MACHINE_MAX_DRIVES) {
            error_setf(err, "-device %s: at most %d devices", val, MACHINE_MAX_DRIVES);
            return -1;
        }
        o->devices[o->nr_devices++] = val;
    } else if (!strcmp(opt, "-netdev") || !strcmp(opt, "-nic")) {
        bool nic = !strcmp(opt, "-nic");
        if ((nic ? o->nr_nics : o->nr_netdevs) == MACHINE_MAX_NETS) {
            error_setf(err, "%s %s: at most %d", opt, val, MACHINE_MAX_NETS);
            return -1;
        }
        if (nic) {
            o->nics[o->nr_nics++] = val;
        } else {
            o->netdevs[o->nr_netdevs++] = val;
        }
    } else if (!strcmp(opt, "-chardev")) {
        return parse_chardev(val, err) < 0 ? -1 : 1;
    } else if (!strcmp(opt, "-mon")) {
        return parse_mon(val, err) < 0 ? -1 : 1;
    } else if (!strcmp(opt, "-serial")) {
        if (mo.serial) {
            error_setf(err, "-serial %s: only one serial port (UART0) is supported", val);
            return -1;
        }
        mo.serial = val;
    } else if (!strcmp(opt, "-monitor")) {
        if (mo.nr_mons == MAX_MONITORS) {
            error_setf(err, "-monitor %s: too many monitors (limit %d)", val, MAX_MONITORS);
            return -1;
        }
        mo.mons[mo.nr_mons].arg = val;
        mo.mons[mo.nr_mons++].spec = val;
    }
    return 1;
}

static bool is_stdio(const char *spec)
{
    return spec && (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio"));
}

static int forward_serial(MonitorHub *hub, const char *spec, Error *err)
{
    return monitor_opt_serial(hub, spec, err) ? 0 : -1;
}

int main_opts_finish(MachineOptions *o, MonitorHub *hub, Error *err)
{
    /* Which chardev each -serial chardev:ID and -mon names. */
    ChardevSpec *serial_chr = NULL;
    if (mo.serial && !strncmp(mo.serial, "chardev:", 8)) {
        serial_chr = chardev_find(mo.serial + 8);
        if (!serial_chr) {
            error_setf(err, "-serial %s: chardev '%s' not found", mo.serial, mo.serial + 8);
            return -1;
        }
        serial_chr->users++;
        serial_chr->serial_user = true;
    }
    for (int k = 0; k < mo.nr_mons; k++) {
        MonitorRef *r = &mo.mons[k];
        if (!r->chardev) {
            continue;
        }
        ChardevSpec *c = chardev_find(r->chardev);
        if (!c) {
            error_setf(err, "-mon %s: chardev '%s' not found", r->arg, r->chardev);
            return -1;
        }
        if (c->users && !c->mux) {
            error_setf(err, "-mon %s: chardev '%s' is already in use (add mux=on to its "
                       "-chardev to share it)", r->arg, r->chardev);
            return -1;
        }
        if (c->users && (c->backend != CHR_STDIO || !serial_chr || c != serial_chr ||
                         c->users > 1)) {
            error_setf(err, "-mon %s: Amber shares a chardev (mux=on) only between the serial "
                       "port and one monitor on stdio", r->arg);
            return -1;
        }
        if (c->backend == CHR_FILE) {
            error_setf(err, "-mon %s: a monitor needs input; chardev '%s' is a file", r->arg,
                       r->chardev);
            return -1;
        }
        c->users++;
    }

    /* QEMU's defaults: -serial, -monitor and -mon each replace their
     * default, -nodefaults drops both. */
    bool default_serial = !mo.serial && !mo.nodefaults;
    bool default_monitor = mo.nr_mons == 0 && !mo.nodefaults;
    if (mo.daemonize && mo.nographic && (default_serial || default_monitor)) {
        error_setf(err, "-nographic cannot be used with -daemonize");
        return -1;
    }
    const char *serial = mo.serial;
    if (serial_chr) {
        /* a stdio chardev with mux=on shared with a monitor is mon:stdio */
        if (serial_chr->backend == CHR_STDIO && serial_chr->users > 1) {
            serial = "mon:stdio";
        } else {
            /* Kept for the run: the serial set-up holds on to the string. */
            mo.serial_spec = chardev_spec(serial_chr);
            serial = mo.serial_spec;
        }
    } else if (!serial && mo.nodefaults) {
        serial = "none";
    } else if (!serial && mo.daemonize) {
        /* Amber's default serial is the terminal, which a daemon leaves;
         * QEMU's is a virtual console, never stdio. */
        serial = "null";
    }
    bool stdio = is_stdio(serial);
    for (int k = 0; k < mo.nr_mons; k++) {
        MonitorRef *r = &mo.mons[k];
        if (r->chardev) {
            ChardevSpec *c = chardev_find(r->chardev);
            if (c == serial_chr && c->users > 1) {
                continue;        /* the mux monitor (mon:stdio) */
            }
            if (c->backend == CHR_NULL) {
                continue;        /* a monitor nobody can talk to */
            }
            r->spec = chardev_spec(c);
            stdio |= c->backend == CHR_STDIO;
        } else {
            stdio |= is_stdio(r->spec);
        }
    }
    if (mo.daemonize && stdio) {
        error_setf(err, "cannot use stdio with -daemonize");
        return -1;
    }
    if (serial && forward_serial(hub, serial, err) < 0) {
        return -1;
    }
    for (int k = 0; k < mo.nr_mons; k++) {
        if (mo.mons[k].spec && !monitor_opt_monitor(hub, mo.mons[k].spec, err)) {
            if (mo.mons[k].chardev) {
                error_prependf(err, "-mon %s: ", mo.mons[k].arg);
            }
            return -1;
        }
    }
    if (mo.nographic) {
        monitor_opt_nographic(hub);
    }
    (void)o;
    return 0;
}

/* ---- -pidfile ---- */

static void pidfile_unlink(void)
{
    if (mo.pidfile_abs) {
        unlink(mo.pidfile_abs);
    }
}

/* As QEMU's qemu_write_pidfile: the file is locked (F_SETLK) for the
 * process's life, so a second instance with the same pidfile is refused;
 * the lock is checked against the path (a racing writer may have replaced
 * the file). */
static int pidfile_write(const char *path, Error *err)
{
    int fd;
    for (;;) {
        struct stat a, b;
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            error_setf(err, "cannot create PID file: Could not open '%s': %s", path,
                       strerror(errno));
            return -1;
        }
        if (fstat(fd, &b) < 0) {
            error_setf(err, "cannot create PID file: Cannot stat file: %s", strerror(errno));
            close(fd);
            return -1;
        }
        if (fcntl(fd, F_SETLK, &lock) < 0) {
            error_setf(err, "cannot create PID file: Cannot lock pid file: %s", strerror(errno));
            close(fd);
            return -1;
        }
        if (stat(path, &a) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            break;
        }
        close(fd);               /* removed or replaced meanwhile: try again */
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, pid, (size_t)n) != n) {
        error_setf(err, "cannot create PID file: Failed to write pid file: %s", strerror(errno));
        unlink(path);
        close(fd);
        return -1;
    }
    /* fd stays open: closing it would drop the lock. */
    char abs[PATH_MAX];
    mo.pidfile_abs = strdup(realpath(path, abs) ? abs : path);
    atexit(pidfile_unlink);
    return 0;
}

/* ---- -daemonize ---- */

int main_opts_daemonize(Error *err)
{
    if (mo.daemonize) {
        int fds[2];
        if (pipe(fds) < 0) {
            error_setf(err, "-daemonize: pipe: %s", strerror(errno));
            return -1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            error_setf(err, "-daemonize: fork: %s", strerror(errno));
            return -1;
        }
        if (pid > 0) {
            /* The parent: exit 0 only when the daemon said it is ready (a
             * failing child's message went to our shared stderr). */
            close(fds[1]);
            unsigned char status = 1;
            ssize_t len;
            do {
                len = read(fds[0], &status, 1);
            } while (len < 0 && errno == EINTR);
            _exit(len == 1 && status == 0 ? 0 : 1);
        }
        close(fds[0]);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        mo.ready_fd = fds[1];
        setsid();
        /* A second fork: the daemon is no session leader, so it never gets
         * a controlling terminal back. */
        pid = fork();
        if (pid < 0) {
            _exit(1);
        }
        if (pid > 0) {
            _exit(0);
        }
        umask(027);
    }
    if (mo.pidfile && pidfile_write(mo.pidfile, err) < 0) {
        return -1;
    }
    return 0;
}

void main_opts_ready(void)
{
    if (mo.ready_fd < 0) {
        return;
    }
    /* Amber keeps its working directory (QEMU moves to /), so relative
     * paths in later monitor commands mean what they meant at start. */
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) {
            close(fd);
        }
    }
    unsigned char status = 0;
    if (write(mo.ready_fd, &status, 1) != 1) {
        _exit(1);
    }
    close(mo.ready_fd);
    mo.ready_fd = -1;
}

/* The board's sections: the clock and the board's own table, and the
 * registration of the CPU's and every device's table. */
#include "hw/riscv/machine-vmstate.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "savevm/savevm.h"

/* ---- the virtual clock ("timer", as QEMU names its clock section) ---- */


static int clock_pre_save(void *opaque)
{
    ClockVMState *c = opaque;
    c->clock_ns = clock_ns(c->clock);
    return 0;
}

static int clock_post_load(void *opaque, int version_id, Error *err)
{
    ClockVMState *c = opaque;
    if (c->clock_ns == CLOCK_NEVER) {
        error_setf(err, "field 'clock_ns' value %llu is the end of time",
                   (unsigned long long)c->clock_ns);
        return -EINVAL;
    }
    /* The CPU section restored icount; this moves the offset so that the
     * clock reads the saved time whatever the icount-to-time mapping. */
    clock_set_ns(c->clock, c->clock_ns);
    return 0;
}

const VMStateDescription vmstate_timer = {
    .name = "timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = clock_pre_save,
    .post_load = clock_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(clock_ns, ClockVMState),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- the board ---- */


static int board_pre_save(void *opaque)
{
    BoardVMState *b = opaque;
    b->ram_size = b->m->opts.ram_size;
    b->shutdown_requested = b->m->shutdown_requested;
    b->reset_requested = b->m->reset_requested;
    b->exit_code = b->m->exit_code;
    b->sched_cur = b->m->sched_cur;
    b->sched_left = b->m->sched_left;
    return 0;
}

static int board_post_load(void *opaque, int version_id, Error *err)
{
    BoardVMState *b = opaque;
    if (b->ram_size != b->m->opts.ram_size) {
        error_setf(err, "RAM size mismatch: field 'ram_size' value %llu, machine has %llu",
                   (unsigned long long)b->ram_size, (unsigned long long)b->m->opts.ram_size);
        return -EINVAL;
    }
    b->m->shutdown_requested = b->shutdown_requested;
    b->m->reset_requested = b->reset_requested;
    b->m->exit_code = b->exit_code;
    /* A one-hart stream has no turn: the first hart's, afresh. */
    b->m->sched_cur = b->m->nr_harts > 1 ? b->sched_cur : 0;
    b->m->sched_left = b->m->nr_harts > 1 ? b->sched_left : 0;
    return 0;
}

/* The scheduler's turn (machine-sched.c): a restored run continues the
 * hart and the quantum where the saved one was. Only machines with more
 * than one hart have one. */
static bool board_sched_needed(void *opaque)
{
    const BoardVMState *b = opaque;
    return b->m->nr_harts > 1;
}

static int board_sched_post_load(void *opaque, int version_id, Error *err)
{
    BoardVMState *b = opaque;
    if (vmstate_check_max(err, "sched_cur", b->sched_cur, (uint64_t)b->m->nr_harts - 1) ||
        vmstate_check_max(err, "sched_left", b->sched_left, MACHINE_QUANTUM)) {
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_virt_sched = {
    .name = "virt/sched",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = board_sched_needed,
    .post_load = board_sched_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(sched_cur, BoardVMState),
        VMSTATE_UINT64(sched_left, BoardVMState),
        VMSTATE_END_OF_LIST()
    },
};

const VMStateDescription vmstate_virt_board = {
    .name = "virt",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = board_pre_save,
    .post_load = board_post_load,
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_virt_sched,
        NULL
    },
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(ram_size, BoardVMState),
        VMSTATE_BOOL(shutdown_requested, BoardVMState),
        VMSTATE_BOOL(reset_requested, BoardVMState),
        VMSTATE_INT32(exit_code, BoardVMState),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- the configuration: the hart count ---- */

static bool config_smp_needed(void *opaque)
{
    const ConfigVMState *c = opaque;
    return c->m->nr_harts > 1;
}

static int config_smp_pre_save(void *opaque)
{
    ConfigVMState *c = opaque;
    c->nr_harts = (uint32_t)c->m->nr_harts;
    return 0;
}

/* Written only with more than one hart: one-hart streams are as before. */
static const VMStateDescription vmstate_config_smp = {
    .name = "configuration/smp",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = config_smp_needed,
    .pre_save = config_smp_pre_save,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(nr_harts, ConfigVMState),
        VMSTATE_END_OF_LIST()
    },
};

static void config_load_begin(void *opaque)
{
    ConfigVMState *c = opaque;
    c->nr_harts = 1;             /* a stream without the subsection: one hart */
}

static int config_post_load(void *opaque, int version_id, Error *err)
{
    ConfigVMState *c = opaque;
    if (c->nr_harts != (uint32_t)c->m->nr_harts) {
        error_setf(err, "the stream is of a machine with %u hart%s (-smp %u) and this machine "
                   "has %d (-smp %d)", c->nr_harts, c->nr_harts == 1 ? "" : "s", c->nr_harts,
                   c->m->nr_harts, c->m->nr_harts);
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_config = {
    .name = "configuration",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = config_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_config_smp,
        NULL
    },
};

/* ---- registration ---- */

int machine_vmstate_register(Machine *m)
{
    savevm_set_machine_type(m->sections, m->opts.machine ? m->opts.machine : "virt");
    m->board_vms = (BoardVMState){ .m = m };
    m->clock_vms = (ClockVMState){ .clock = &m->clock };
    m->config_vms = (ConfigVMState){ .m = m };
    savevm_set_configuration(m->sections, &vmstate_config, &m->config_vms, config_load_begin);
    int ret = 0;
    /* One "cpu" section per hart, instance id = hartid, as QEMU writes them. */
    for (int h = 0; h < m->nr_harts && !ret; h++) {
        ret = savevm_register(m->sections, "cpu", (uint32_t)h, &vmstate_riscv_cpu, &m->harts[h]);
    }
    ret = ret ? ret : savevm_register(m->sections, "timer", 0, &vmstate_timer, &m->clock_vms);
    ret = ret ? ret : savevm_register(m->sections, "riscv_sifive_plic", 0, &vmstate_plic, &m->plic);
    ret = ret ? ret : savevm_register(m->sections, "riscv_aclint", 0, &vmstate_clint, &m->clint);
    ret = ret ? ret : savevm_register(m->sections, "serial", 0, &vmstate_uart16550, &m->uart0);
    ret = ret ? ret : savevm_register(m->sections, "goldfish_rtc", 0, &vmstate_goldfish_rtc, &m->rtc);
    if (m->has_htif) {
        ret = ret ? ret : savevm_register(m->sections, "riscv.htif.uart", 0, &vmstate_htif, &m->htif);
    }
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        if (m->virtio[n].ops) {
            ret = ret ? ret : savevm_register(m->sections, "virtio-mmio", (uint32_t)n, &vmstate_virtio_mmio,
                                              &m->virtio[n]);
        }
    }
    for (int n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        if (m->virtio[n].ops == &virtio_net_ops) {
            ret = ret ? ret : savevm_register(m->sections, "virtio-net", (uint32_t)n,
                                              &vmstate_virtio_net, &m->virtio_net[n]);
        }
    }
    for (int i = 0; i < m->nr_netdevs; i++) {
        /* QEMU's "slirp" section: libslirp's own state */
        ret = ret ? ret : savevm_register(m->sections, "slirp", (uint32_t)i, &vmstate_slirp,
                                          net_slirp_vmstate_opaque(m->slirp[i]));
    }
    ret = ret ? ret : savevm_register(m->sections, "virt", 0, &vmstate_virt_board, &m->board_vms);
    return ret;
}

int machine_dump_vmstate(Machine *m, const char *path, Error *err)
{
    VMDescWriter w;
    vmdesc_init(&w);
    vmdesc_start_object(&w, NULL);
    vmdesc_int(&w, "page_size", SAVEVM_PAGE_SIZE);
    vmdesc_start_array(&w, "sections");
    savevm_describe_sections(m->sections, &w);
    vmdesc_end_array(&w);
    /* Tables only some configurations register (HTIF: an ELF with tohost),
     * so the dump always covers every table the build has. */
    vmdesc_start_array(&w, "optional_sections");
    vmdesc_start_object(&w, NULL);
    vmdesc_str(&w, "name", "riscv.htif.uart");
    vmdesc_str(&w, "registered_when", "the ELF defines tohost");
    vmstate_describe(&vmstate_htif, &w);
    vmdesc_end_object(&w);
    vmdesc_start_object(&w, NULL);
    vmdesc_str(&w, "name", "virtio-mmio");
    vmdesc_str(&w, "registered_when", "a -drive or a NIC sits in the slot");
    vmstate_describe(&vmstate_virtio_mmio, &w);
    vmdesc_end_object(&w);
    vmdesc_start_object(&w, NULL);
    vmdesc_str(&w, "name", "virtio-net");
    vmdesc_str(&w, "registered_when", "a NIC (-nic, -device virtio-net-device) sits in the slot");
    vmstate_describe(&vmstate_virtio_net, &w);
    vmdesc_end_object(&w);
    vmdesc_start_object(&w, NULL);
    vmdesc_str(&w, "name", "slirp");
    vmdesc_str(&w, "registered_when", "a -netdev user (or -nic user) exists");
    vmstate_describe(&vmstate_slirp, &w);
    vmdesc_end_object(&w);
    vmdesc_end_array(&w);
    vmdesc_end_object(&w);
    int ret = 0;
    /* Indented, one field per line, so a change shows as a readable diff
     * against the committed copy. */
    json_t *j = w.oom ? NULL : json_loadb(w.buf, w.len, 0, NULL);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    FILE *out = text ? fopen(path, "w") : NULL;
    if (!out) {
        error_setf(err, "-dump-vmstate %s: %s", path, strerror(text ? errno : ENOMEM));
        ret = -EIO;
    } else {
        fprintf(out, "%s\n", text);
        if (fclose(out) != 0) {
            error_setf(err, "-dump-vmstate %s: %s", path, strerror(errno));
            ret = -EIO;
        }
    }
    free(text);
    vmdesc_free(&w);
    return ret;
}

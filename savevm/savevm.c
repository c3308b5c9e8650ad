#include "savevm/savevm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/channel.h"

typedef struct SaveStateEntry {
    char idstr[128];
    uint32_t instance_id;
    uint32_t section_id;
    int version_id;
    const VMStateDescription *vmsd;   /* device sections */
    const SaveLiveOps *ops;           /* live sections */
    const SaveVMStreamHooks *hooks;   /* records of the stream (globalstate) */
    void *opaque;
    /* Save: iteration finished. Load: START seen, with the stream's id. */
    bool live_done;
    bool load_started;
    uint32_t load_section_id;
} SaveStateEntry;

struct SaveVMState {
    SaveStateEntry *entries;
    int nr, cap;
    uint32_t next_section_id;
    const char *machine_type;
    const VMStateDescription *config_vmsd;
    void *config_opaque;
    void (*config_load_begin)(void *opaque);
    int (*blocker_check)(void *opaque, Error *err);
    void *blocker_opaque;
    VMDescWriter vmdesc;
    bool saving;
    bool load_touched_live;      /* the last load wrote into a live section */
};

SaveVMState *savevm_state_new(void)
{
    return calloc(1, sizeof(SaveVMState));
}

void savevm_state_free(SaveVMState *s)
{
    if (s) {
        savevm_unregister_all(s);
        free(s);
    }
}

static const char *savevm_machine_type(SaveVMState *s)
{
    return s->machine_type ? s->machine_type : "virt";
}

void savevm_set_machine_type(SaveVMState *s, const char *name)
{
    s->machine_type = name;
}

void savevm_set_configuration(SaveVMState *s, const VMStateDescription *vmsd, void *opaque,
                              void (*load_begin)(void *opaque))
{
    s->config_vmsd = vmsd;
    s->config_opaque = opaque;
    s->config_load_begin = load_begin;
}

static SaveStateEntry *savevm_find(SaveVMState *s, const char *idstr, uint32_t instance_id)
{
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->instance_id == instance_id && strcmp(se->idstr, idstr) == 0) {
            return se;
        }
    }
    return NULL;
}

static uint32_t savevm_next_instance(SaveVMState *s, const char *idstr)
{
    uint32_t n = 0;
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (strcmp(se->idstr, idstr) == 0 && se->instance_id >= n) {
            n = se->instance_id + 1;
        }
    }
    return n;
}

static int savevm_add(SaveVMState *s, const char *idstr, uint32_t instance_id, int version_id,
                      const VMStateDescription *vmsd, const SaveLiveOps *ops, void *opaque)
{
    size_t len = strlen(idstr);
    if (len == 0 || len > 127) {
        return -EINVAL;
    }
    if (instance_id == VMSTATE_INSTANCE_ID_ANY) {
        instance_id = savevm_next_instance(s, idstr);
    }
    if (savevm_find(s, idstr, instance_id)) {
        return -EEXIST;
    }
    if (s->nr == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        SaveStateEntry *e = realloc(s->entries, sizeof(*e) * (size_t)cap);
        if (!e) {
            return -ENOMEM;
        }
        s->entries = e;
        s->cap = cap;
    }
    SaveStateEntry *se = &s->entries[s->nr++];
    memset(se, 0, sizeof(*se));
    memcpy(se->idstr, idstr, len + 1);
    se->instance_id = instance_id;
    se->section_id = s->next_section_id++;
    se->version_id = version_id;
    se->vmsd = vmsd;
    se->ops = ops;
    se->opaque = opaque;
    return 0;
}

int savevm_register(SaveVMState *s, const char *idstr, uint32_t instance_id, const VMStateDescription *vmsd,
                    void *opaque)
{
    return savevm_add(s, idstr, instance_id, vmsd->version_id, vmsd, NULL, opaque);
}

int savevm_register_record(SaveVMState *s, const char *idstr, uint32_t instance_id,
                           const VMStateDescription *vmsd, const SaveVMStreamHooks *hooks,
                           void *opaque)
{
    int ret = savevm_add(s, idstr, instance_id, vmsd->version_id, vmsd, NULL, opaque);
    if (ret == 0) {
        s->entries[s->nr - 1].hooks = hooks;
    }
    return ret;
}

int savevm_register_live(SaveVMState *s, const char *idstr, uint32_t instance_id, int version_id,
                         const SaveLiveOps *ops, void *opaque)
{
    return savevm_add(s, idstr, instance_id, version_id, NULL, ops, opaque);
}

static void savevm_release(SaveStateEntry *se)
{
    if (se->hooks && se->hooks->release) {
        se->hooks->release(se->opaque);
    } else if (se->ops && se->ops->release) {
        se->ops->release(se->opaque);
    }
}

void *savevm_find_opaque(SaveVMState *s, const char *idstr, uint32_t instance_id)
{
    SaveStateEntry *se = savevm_find(s, idstr, instance_id);
    return se ? se->opaque : NULL;
}

void savevm_unregister(SaveVMState *s, const char *idstr, uint32_t instance_id)
{
    SaveStateEntry *se = savevm_find(s, idstr, instance_id);
    if (se) {
        savevm_release(se);
        int i = (int)(se - s->entries);
        memmove(se, se + 1, sizeof(*se) * (size_t)(s->nr - i - 1));
        s->nr--;
    }
}

void savevm_unregister_all(SaveVMState *s)
{
    for (int i = 0; i < s->nr; i++) {
        savevm_release(&s->entries[i]);
    }
    free(s->entries);
    s->entries = NULL;
    s->nr = s->cap = 0;
    s->next_section_id = 0;
}

void savevm_set_blocker_check(SaveVMState *s, int (*fn)(void *opaque, Error *err),
                              void *opaque)
{
    s->blocker_check = fn;
    s->blocker_opaque = opaque;
}

/* Tells the stream records that a save ended or a load begins. */
static void savevm_hooks_save_done(SaveVMState *s)
{
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->hooks && se->hooks->save_done) {
            se->hooks->save_done(se->opaque);
        }
    }
}

static void savevm_hooks_load_begin(SaveVMState *s)
{
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->hooks && se->hooks->load_begin) {
            se->hooks->load_begin(se->opaque);
        }
    }
}

int savevm_check_blocked(SaveVMState *s, Error *err)
{
    int ret = s->blocker_check ? s->blocker_check(s->blocker_opaque, err) : 0;
    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->vmsd && se->vmsd->unmigratable) {
            error_setf(err, "State blocked by non-migratable device '%s'", se->idstr);
            return -EPERM;
        }
    }
    return 0;
}

/* ---- saving ---- */

static void savevm_put_section_header(QEMUFile *f, SaveStateEntry *se, uint8_t type)
{
    qemu_file_put_u8(f, type);
    qemu_file_put_be32(f, se->section_id);
    if (type == QEMU_VM_SECTION_START || type == QEMU_VM_SECTION_FULL) {
        qemu_file_put_str8(f, se->idstr);
        qemu_file_put_be32(f, se->instance_id);
        qemu_file_put_be32(f, (uint32_t)se->version_id);
    }
}

static void savevm_put_footer(QEMUFile *f, SaveStateEntry *se)
{
    qemu_file_put_u8(f, QEMU_VM_SECTION_FOOTER);
    qemu_file_put_be32(f, se->section_id);
}

/* A payload callback failed or the file did: one message either way. */
static int savevm_save_failed(QEMUFile *f, SaveStateEntry *se, int ret, Error *lerr, Error *err)
{
    if (ret >= 0) {
        ret = qemu_file_get_error(f);
    }
    if (lerr && lerr->set) {
        error_setf(err, "saving section '%s' failed: %s", se->idstr, lerr->msg);
    } else {
        error_setf(err, "saving section '%s' failed: %s", se->idstr, qemu_file_error_msg(f));
    }
    return ret;
}

static bool savevm_config_needed(SaveVMState *s)
{
    if (!s->config_vmsd) {
        return false;
    }
    for (const VMStateDescription *const *sub = s->config_vmsd->subsections; sub && *sub; sub++) {
        if (!(*sub)->needed || (*sub)->needed(s->config_opaque)) {
            return true;
        }
    }
    return false;
}

/* Magic, version, configuration; opens the vmdesc up to its device list. */
static void savevm_put_header(SaveVMState *s, QEMUFile *f)
{
    const char *machine = savevm_machine_type(s);
    VMDescWriter *d = &s->vmdesc;
    vmdesc_free(d);
    vmdesc_init(d);
    s->saving = true;

    qemu_file_put_be32(f, QEMU_VM_FILE_MAGIC);
    qemu_file_put_be32(f, QEMU_VM_FILE_VERSION);
    /* Configuration: VMState data with no section header or footer. */
    qemu_file_put_u8(f, QEMU_VM_CONFIGURATION);
    qemu_file_put_be32(f, (uint32_t)strlen(machine));
    qemu_file_put_buffer(f, machine, strlen(machine));

    vmdesc_start_object(d, NULL);
    vmdesc_start_object(d, "configuration");
    vmdesc_str(d, "vmsd_name", "configuration");
    vmdesc_int(d, "version", 1);
    vmdesc_start_array(d, "fields");
    vmdesc_start_object(d, NULL);
    vmdesc_str(d, "name", "len");
    vmdesc_str(d, "type", "uint32");
    vmdesc_int(d, "size", 4);
    vmdesc_end_object(d);
    vmdesc_start_object(d, NULL);
    vmdesc_str(d, "name", "name");
    vmdesc_str(d, "type", "buffer");
    vmdesc_int(d, "size", (int64_t)strlen(machine));
    vmdesc_end_object(d);
    vmdesc_end_array(d);
    if (savevm_config_needed(s)) {
        /* The machine's subsections follow the name; described apart (an
         * object of its own, "machine") so the fixed fields keep QEMU's
         * description, and a stream without them is as before. */
        vmdesc_start_object(d, "machine");
        vmstate_save(f, s->config_vmsd, s->config_opaque, d, NULL);
        vmdesc_end_object(d);
    }
    vmdesc_end_object(d);
    vmdesc_int(d, "page_size", SAVEVM_PAGE_SIZE);
    vmdesc_start_array(d, "devices");
}

int savevm_save_begin(SaveVMState *s, QEMUFile *f, Error *err)
{
    int ret = savevm_check_blocked(s, err);
    if (ret < 0) {
        return ret;
    }
    savevm_put_header(s, f);
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!se->ops) {
            continue;
        }
        se->live_done = false;
        savevm_put_section_header(f, se, QEMU_VM_SECTION_START);
        Error lerr;
        error_init(&lerr);
        ret = se->ops->save_setup ? se->ops->save_setup(f, se->opaque, &lerr) : 0;
        if (ret < 0 || qemu_file_get_error(f)) {
            return savevm_save_failed(f, se, ret, &lerr, err);
        }
        savevm_put_footer(f, se);
    }
    qemu_file_flush(f);
    if (qemu_file_get_error(f)) {
        error_setf(err, "writing the stream header failed: %s", qemu_file_error_msg(f));
    }
    return qemu_file_get_error(f);
}

void savevm_save_sync(SaveVMState *s)
{
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->ops && se->ops->save_iterate) {
            if (se->ops->save_sync) {
                se->ops->save_sync(se->opaque);
            }
            se->live_done = false;
        }
    }
}

int savevm_save_iterate(SaveVMState *s, QEMUFile *f, Error *err)
{
    bool all_done = true;
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!se->ops || !se->ops->save_iterate) {
            continue;
        }
        if (se->live_done) {
            continue;            /* its pass is out; the next sync reopens it */
        }
        savevm_put_section_header(f, se, QEMU_VM_SECTION_PART);
        Error lerr;
        error_init(&lerr);
        int ret = se->ops->save_iterate(f, se->opaque, &lerr);
        if (ret < 0 || qemu_file_get_error(f)) {
            return savevm_save_failed(f, se, ret, &lerr, err);
        }
        savevm_put_footer(f, se);
        se->live_done = ret > 0;
        all_done = all_done && se->live_done;
    }
    qemu_file_flush(f);
    if (qemu_file_get_error(f)) {
        error_setf(err, "writing the stream failed: %s", qemu_file_error_msg(f));
        return qemu_file_get_error(f);
    }
    return all_done ? 1 : 0;
}

uint64_t savevm_save_pending(SaveVMState *s)
{
    uint64_t total = 0;
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->ops && se->ops->save_pending) {
            total += se->ops->save_pending(se->opaque);
        }
    }
    return total;
}

/* analyze-migration.py finds the JSON as the first '{' after the last NUL
 * byte, so the length bytes after their last zero byte must not be '{'. */
static bool savevm_vmdesc_len_ok(uint32_t len)
{
    uint8_t b[4] = { len >> 24, len >> 16, len >> 8, len };
    int last_zero = -1;
    for (int i = 0; i < 4; i++) {
        if (b[i] == 0) {
            last_zero = i;
        }
    }
    for (int i = last_zero + 1; i < 4; i++) {
        if (b[i] == '{') {
            return false;
        }
    }
    return true;
}

static int savevm_save_devices(SaveVMState *s, QEMUFile *f, Error *err)
{
    VMDescWriter *d = &s->vmdesc;
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!se->vmsd || (se->vmsd->needed && !se->vmsd->needed(se->opaque))) {
            continue;
        }
        savevm_put_section_header(f, se, QEMU_VM_SECTION_FULL);
        vmdesc_start_object(d, NULL);
        vmdesc_str(d, "name", se->idstr);
        vmdesc_int(d, "instance_id", se->instance_id);
        Error lerr;
        error_init(&lerr);
        int ret = vmstate_save(f, se->vmsd, se->opaque, d, &lerr);
        vmdesc_end_object(d);
        if (ret < 0 || qemu_file_get_error(f)) {
            return savevm_save_failed(f, se, ret, &lerr, err);
        }
        savevm_put_footer(f, se);
    }
    return 0;
}

/* EOF, then the vmdesc. */
static int savevm_put_trailer(SaveVMState *s, QEMUFile *f, Error *err)
{
    VMDescWriter *d = &s->vmdesc;
    qemu_file_put_u8(f, QEMU_VM_EOF);
    vmdesc_end_array(d);
    vmdesc_end_object(d);
    while (!d->oom && !savevm_vmdesc_len_ok((uint32_t)d->len)) {
        vmdesc_pad(d, 1);
    }
    if (d->oom) {
        error_setf(err, "out of memory building the stream description");
        return -ENOMEM;
    }
    qemu_file_put_u8(f, QEMU_VM_VMDESCRIPTION);
    qemu_file_put_be32(f, (uint32_t)d->len);
    qemu_file_put_buffer(f, d->buf, d->len);
    qemu_file_flush(f);
    int ret = qemu_file_get_error(f);
    if (ret < 0) {
        error_setf(err, "writing the stream failed: %s", qemu_file_error_msg(f));
    }
    return ret;
}

int savevm_save_complete(SaveVMState *s, QEMUFile *f, Error *err)
{
    int ret = 0;
    for (int i = 0; i < s->nr && ret == 0; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!se->ops) {
            continue;
        }
        savevm_put_section_header(f, se, QEMU_VM_SECTION_END);
        Error lerr;
        error_init(&lerr);
        ret = se->ops->save_complete ? se->ops->save_complete(f, se->opaque, &lerr) : 0;
        if (ret < 0 || qemu_file_get_error(f)) {
            ret = savevm_save_failed(f, se, ret, &lerr, err);
            break;
        }
        savevm_put_footer(f, se);
    }
    if (ret == 0) {
        ret = savevm_save_devices(s, f, err);
    }
    if (ret == 0) {
        ret = savevm_put_trailer(s, f, err);
    }
    savevm_save_cleanup(s);
    return ret;
}

int savevm_save_devices_state(SaveVMState *s, QEMUFile *f, Error *err)
{
    int ret = savevm_check_blocked(s, err);
    if (ret < 0) {
        return ret;
    }
    savevm_put_header(s, f);
    ret = savevm_save_devices(s, f, err);
    if (ret == 0) {
        ret = savevm_put_trailer(s, f, err);
    }
    /* No live section was set up, so only the description is dropped. */
    vmdesc_free(&s->vmdesc);
    savevm_hooks_save_done(s);
    s->saving = false;
    return ret;
}

void savevm_save_cleanup(SaveVMState *s)
{
    if (!s->saving) {
        return;
    }
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (se->ops && se->ops->save_cleanup) {
            se->ops->save_cleanup(se->opaque);
        }
    }
    vmdesc_free(&s->vmdesc);
    savevm_hooks_save_done(s);
    s->saving = false;
}

int savevm_save(SaveVMState *s, QEMUFile *f, Error *err)
{
    /* The guest is stopped: START, then END carries every page; no PARTs. */
    int ret = savevm_save_begin(s, f, err);
    if (ret < 0) {
        savevm_save_cleanup(s);
        return ret;
    }
    return savevm_save_complete(s, f, err);
}

/* ---- loading ---- */

/* What the loader was doing, for messages. */
typedef struct LoadContext {
    SaveVMState *s;
    QEMUFile *f;
    bool devices_only;           /* device state: no live (RAM) sections */
    char what[200];              /* "section 'x'", "the stream header", ... */
    char last[140];              /* the last section read: "section 'x'" */
} LoadContext;

/* Turns a failure into one message: a truncated stream or a channel error is
 * reported as such (whatever the layer below said, it read zeros after it);
 * otherwise the layer's own message, prefixed with the context. */
static int savevm_load_fail(LoadContext *lc, int ret, const Error *lerr, Error *err)
{
    QEMUFile *f = lc->f;
    if (qemu_file_is_truncated(f)) {
        error_setf(err, "stream truncated at offset %llu while reading %s",
                   (unsigned long long)qemu_file_tell(f), lc->what);
        return -EIO;
    }
    if (qemu_file_get_error(f)) {
        error_setf(err, "stream error at offset %llu while reading %s: %s",
                   (unsigned long long)qemu_file_tell(f), lc->what, qemu_file_error_msg(f));
        return qemu_file_get_error(f);
    }
    error_setf(err, "%s", lerr && lerr->set ? lerr->msg : strerror(ret < 0 ? -ret : EINVAL));
    return ret < 0 ? ret : -EINVAL;
}

static int savevm_load_error(LoadContext *lc, int ret, Error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int savevm_load_error(LoadContext *lc, int ret, Error *err, const char *fmt, ...)
{
    Error lerr;
    error_init(&lerr);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lerr.msg, sizeof(lerr.msg), fmt, ap);
    va_end(ap);
    lerr.set = true;
    return savevm_load_fail(lc, ret, &lerr, err);
}

static int savevm_load_footer(LoadContext *lc, SaveStateEntry *se, uint32_t section_id,
                              Error *err)
{
    QEMUFile *f = lc->f;
    uint64_t pos = qemu_file_tell(f);
    uint8_t b = qemu_file_get_u8(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (b != QEMU_VM_SECTION_FOOTER) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Missing section footer for %s (offset %llu has byte 0x%02x); "
                                 "Section footer error, section_id: %u", se->idstr,
                                 (unsigned long long)pos, b, section_id);
    }
    uint32_t id = qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (id != section_id) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Mismatched section id in footer for %s - read 0x%x expected 0x%x "
                                 "(offset %llu); Section footer error, section_id: %u",
                                 se->idstr, id, section_id, (unsigned long long)pos,
                                 section_id);
    }
    return 0;
}

static int savevm_load_configuration(LoadContext *lc, Error *err)
{
    QEMUFile *f = lc->f;
    snprintf(lc->what, sizeof(lc->what), "the configuration section");
    uint64_t pos = qemu_file_tell(f);
    uint8_t type = qemu_file_get_u8(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (type != QEMU_VM_CONFIGURATION) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Configuration section missing, %x != %x (offset %llu)", type,
                                 QEMU_VM_CONFIGURATION, (unsigned long long)pos);
    }
    uint32_t len = qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (len > 255) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "machine type name length %u at offset %llu is too long "
                                 "(at most 255)", len, (unsigned long long)pos + 1);
    }
    char name[256];
    qemu_file_get_buffer(f, name, len);
    name[len] = '\0';
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    const char *local = savevm_machine_type(lc->s);
    if (strlen(name) != len || strcmp(name, local) != 0) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Machine type received is '%s' and local is '%s'", name, local);
    }
    SaveVMState *s = lc->s;
    if (s->config_vmsd) {
        if (s->config_load_begin) {
            s->config_load_begin(s->config_opaque);
        }
        Error lerr;
        error_init(&lerr);
        int ret = vmstate_load(f, s->config_vmsd, s->config_opaque, s->config_vmsd->version_id,
                               &lerr);
        if (ret < 0) {
            return savevm_load_fail(lc, ret, &lerr, err);
        }
    }
    return 0;
}

static int savevm_load_start_full(LoadContext *lc, uint8_t type, Error *err)
{
    QEMUFile *f = lc->f;
    uint64_t pos = qemu_file_tell(f) - 1;
    snprintf(lc->what, sizeof(lc->what), "a section header at offset %llu",
             (unsigned long long)pos);
    uint32_t section_id = qemu_file_get_be32(f);
    char idstr[256];
    qemu_file_get_str8(f, idstr);
    uint32_t instance_id = qemu_file_get_be32(f);
    int version_id = (int)qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    SaveStateEntry *se = savevm_find(lc->s, idstr, instance_id);
    if (!se) {
        return savevm_load_error(lc, -ENOENT, err,
                                 "Unknown section or instance '%s' %u (offset %llu). Make sure "
                                 "that your current VM setup matches your saved VM setup, "
                                 "including any hotplugged devices", idstr, instance_id,
                                 (unsigned long long)pos);
    }
    snprintf(lc->what, sizeof(lc->what), "section '%s'", se->idstr);
    snprintf(lc->last, sizeof(lc->last), "section '%s'", se->idstr);
    if (version_id > se->version_id) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "unsupported version %d for '%s' v%d", version_id, se->idstr,
                                 se->version_id);
    }
    Error lerr;
    error_init(&lerr);
    int ret;
    if (se->vmsd) {
        if (type != QEMU_VM_SECTION_FULL) {
            return savevm_load_error(lc, -EINVAL, err,
                                     "section '%s' at offset %llu is a START section but "
                                     "'%s' is not iterative", se->idstr,
                                     (unsigned long long)pos, se->idstr);
        }
        ret = vmstate_load(f, se->vmsd, se->opaque, version_id, &lerr);
    } else {
        if (lc->devices_only) {
            return savevm_load_error(lc, -EINVAL, err,
                                     "loadvm: %s RAM loading not allowed in device state "
                                     "(offset %llu)", se->idstr, (unsigned long long)pos);
        }
        lc->s->load_touched_live = true;
        se->load_started = true;
        se->load_section_id = section_id;
        ret = se->ops->load_state(f, se->opaque, version_id, type, &lerr);
    }
    if (ret < 0 || qemu_file_get_error(f)) {
        if (lerr.set && !qemu_file_get_error(f)) {
            error_prependf(&lerr, "error while loading state for instance 0x%x of device '%s': ",
                           se->instance_id, se->idstr);
        }
        return savevm_load_fail(lc, ret, &lerr, err);
    }
    return savevm_load_footer(lc, se, section_id, err);
}

static int savevm_load_part_end(LoadContext *lc, uint8_t type, Error *err)
{
    QEMUFile *f = lc->f;
    uint64_t pos = qemu_file_tell(f) - 1;
    snprintf(lc->what, sizeof(lc->what), "a section header at offset %llu",
             (unsigned long long)pos);
    uint32_t section_id = qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    SaveStateEntry *se = NULL;
    for (int i = 0; i < lc->s->nr; i++) {
        SaveStateEntry *e = &lc->s->entries[i];
        if (e->ops && e->load_started && e->load_section_id == section_id) {
            se = e;
            break;
        }
    }
    if (!se) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Unknown section %u (in a %s section at offset %llu)", section_id,
                                 type == QEMU_VM_SECTION_PART ? "PART" : "END",
                                 (unsigned long long)pos);
    }
    snprintf(lc->what, sizeof(lc->what), "section '%s'", se->idstr);
    snprintf(lc->last, sizeof(lc->last), "section '%s'", se->idstr);
    Error lerr;
    error_init(&lerr);
    int ret = se->ops->load_state(f, se->opaque, se->version_id, type, &lerr);
    if (ret < 0 || qemu_file_get_error(f)) {
        if (lerr.set && !qemu_file_get_error(f)) {
            error_prependf(&lerr, "error while loading state section id %u(%s): ", section_id,
                           se->idstr);
        }
        return savevm_load_fail(lc, ret, &lerr, err);
    }
    return savevm_load_footer(lc, se, section_id, err);
}

static int savevm_load_command(LoadContext *lc, Error *err)
{
    QEMUFile *f = lc->f;
    uint64_t pos = qemu_file_tell(f) - 1;
    snprintf(lc->what, sizeof(lc->what), "a command at offset %llu", (unsigned long long)pos);
    uint16_t cmd = qemu_file_get_be16(f);
    uint16_t len = qemu_file_get_be16(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    /* Only QEMU 10's SWITCHOVER_START, which carries nothing for us. */
    if (cmd != 0x0b || len != 0) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "unsupported command 0x%x (length %u) at offset %llu", cmd, len,
                                 (unsigned long long)pos);
    }
    return 0;
}

/* Magic, version and (unless device state without one) the configuration. */
static int savevm_load_header(LoadContext *lc, Error *err)
{
    QEMUFile *f = lc->f;
    snprintf(lc->what, sizeof(lc->what), "the stream header");
    uint32_t magic = qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (magic != QEMU_VM_FILE_MAGIC) {
        return savevm_load_error(lc, -EINVAL, err,
                                 "Not a migration stream, magic: %x != %x", magic,
                                 QEMU_VM_FILE_MAGIC);
    }
    uint32_t version = qemu_file_get_be32(f);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    if (version == QEMU_VM_FILE_VERSION_COMPAT) {
        return savevm_load_error(lc, -ENOTSUP, err,
                                 "SaveVM v2 format is obsolete and no longer supported");
    }
    if (version != QEMU_VM_FILE_VERSION) {
        return savevm_load_error(lc, -ENOTSUP, err, "Unsupported migration stream version, file version %x != %x", version,
                                 QEMU_VM_FILE_VERSION);
    }
    /* Device state from QEMU's xen-save-devices-state has no configuration. */
    uint8_t next;
    int ret = 0;
    if (!lc->devices_only || (qemu_file_peek(f, &next, 1, 0) == 1 &&
                              next == QEMU_VM_CONFIGURATION)) {
        ret = savevm_load_configuration(lc, err);
    }
    snprintf(lc->last, sizeof(lc->last), "the configuration section");
    return ret;
}

int savevm_check_header(SaveVMState *s, QEMUFile *f, Error *err)
{
    LoadContext lc = { .s = s, .f = f };
    return savevm_load_header(&lc, err);
}

static int savevm_load_main(LoadContext *lc, Error *err)
{
    QEMUFile *f = lc->f;
    int ret = savevm_load_header(lc, err);
    for (;;) {
        if (ret < 0) {
            return ret;
        }
        /* A truncation right here names the section before it. */
        snprintf(lc->what, sizeof(lc->what), "the section type after %s", lc->last);
        uint64_t pos = qemu_file_tell(f);
        uint8_t type = qemu_file_get_u8(f);
        if (qemu_file_get_error(f)) {
            return savevm_load_fail(lc, -EIO, NULL, err);
        }
        switch (type) {
        case QEMU_VM_EOF:
            return 0;
        case QEMU_VM_SECTION_START:
        case QEMU_VM_SECTION_FULL:
            ret = savevm_load_start_full(lc, type, err);
            break;
        case QEMU_VM_SECTION_PART:
        case QEMU_VM_SECTION_END:
            ret = savevm_load_part_end(lc, type, err);
            break;
        case QEMU_VM_COMMAND:
            ret = savevm_load_command(lc, err);
            break;
        default:
            return savevm_load_error(lc, -EINVAL, err,
                                     "Unknown savevm section type %u at offset %llu", type,
                                     (unsigned long long)pos);
        }
    }
}

/* The vmdesc after EOF is optional (QEMU only warns without it); when it is
 * there it must be complete, or the stream was cut. */
static int savevm_load_vmdesc(LoadContext *lc, Error *err)
{
    QEMUFile *f = lc->f;
    uint8_t b;
    if (qemu_file_peek(f, &b, 1, 0) < 1 || b != QEMU_VM_VMDESCRIPTION) {
        return qemu_file_get_error(f) ? savevm_load_fail(lc, -EIO, NULL, err) : 0;
    }
    snprintf(lc->what, sizeof(lc->what), "the stream description (vmdesc)");
    qemu_file_skip(f, 1);
    uint32_t len = qemu_file_get_be32(f);
    qemu_file_skip(f, len);
    if (qemu_file_get_error(f)) {
        return savevm_load_fail(lc, -EIO, NULL, err);
    }
    return 0;
}

/* Device state as it was before the load, to put back if the load fails. */
typedef struct SaveVMBackup {
    ChannelBuffer *bufs;
    int nr;
} SaveVMBackup;

static bool savevm_backs_up(const SaveStateEntry *se)
{
    /* A record of the stream (globalstate) is not device state. */
    return se->vmsd && !se->hooks;
}

static void savevm_backup_take(SaveVMState *s, SaveVMBackup *b)
{
    b->nr = s->nr;
    b->bufs = calloc((size_t)b->nr + 1, sizeof(*b->bufs));
    for (int i = 0; b->bufs && i < b->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!savevm_backs_up(se)) {
            continue;
        }
        QEMUFile *f = qemu_file_buffer_writer(&b->bufs[i]);
        if (f) {
            vmstate_save(f, se->vmsd, se->opaque, NULL, NULL);
            if (qemu_file_close(f, NULL) < 0) {
                channel_buffer_free(&b->bufs[i]);
            }
        }
    }
}

static void savevm_backup_restore(SaveVMState *s, SaveVMBackup *b)
{
    for (int i = 0; b->bufs && i < b->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        if (!savevm_backs_up(se) || !b->bufs[i].data) {
            continue;
        }
        QEMUFile *f = qemu_file_buffer_reader(b->bufs[i].data, b->bufs[i].len);
        if (f) {
            vmstate_load(f, se->vmsd, se->opaque, se->vmsd->version_id, NULL);
            qemu_file_close(f, NULL);
        }
    }
}

static void savevm_backup_free(SaveVMBackup *b)
{
    for (int i = 0; b->bufs && i < b->nr; i++) {
        channel_buffer_free(&b->bufs[i]);
    }
    free(b->bufs);
}

bool savevm_load_touched_live(SaveVMState *s)
{
    return s->load_touched_live;
}

static int savevm_load_common(SaveVMState *s, QEMUFile *f, bool devices_only, Error *err)
{
    int ret = savevm_check_blocked(s, err);
    if (ret < 0) {
        return ret;
    }
    savevm_hooks_load_begin(s);
    s->load_touched_live = false;
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        se->load_started = false;
        if (se->ops && se->ops->load_setup) {
            se->ops->load_setup(se->opaque);
        }
    }
    SaveVMBackup backup;
    savevm_backup_take(s, &backup);
    LoadContext lc = { .s = s, .f = f, .devices_only = devices_only };
    ret = savevm_load_main(&lc, err);
    if (ret == 0) {
        ret = savevm_load_vmdesc(&lc, err);
    }
    if (ret < 0) {
        savevm_backup_restore(s, &backup);
        savevm_hooks_load_begin(s);
    }
    savevm_backup_free(&backup);
    return ret;
}

int savevm_load(SaveVMState *s, QEMUFile *f, Error *err)
{
    return savevm_load_common(s, f, false, err);
}

int savevm_load_devices_state(SaveVMState *s, QEMUFile *f, Error *err)
{
    return savevm_load_common(s, f, true, err);
}

void savevm_describe_sections(SaveVMState *s, VMDescWriter *w)
{
    for (int i = 0; i < s->nr; i++) {
        SaveStateEntry *se = &s->entries[i];
        vmdesc_start_object(w, NULL);
        vmdesc_str(w, "name", se->idstr);
        vmdesc_int(w, "instance_id", se->instance_id);
        vmdesc_int(w, "section_version", se->version_id);
        if (se->vmsd) {
            vmstate_describe(se->vmsd, w);
        } else {
            vmdesc_str(w, "type", "iterative");
        }
        vmdesc_end_object(w);
    }
}

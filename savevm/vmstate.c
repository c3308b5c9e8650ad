/* The VMState engine: walks description tables to save, load and describe. */
#include "savevm/vmstate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define VMS_SUBSECTION 0x05      /* QEMU_VM_SUBSECTION */

static unsigned long long vmstate_offset(const QEMUFile *f)
{
    return (unsigned long long)qemu_file_tell(f);
}

static bool vmstate_field_end(const VMStateField *fd)
{
    return fd->flags & VMS_END;
}

static uint32_t vmstate_varray_count(const VMStateField *fd, const void *opaque)
{
    uint32_t n;
    memcpy(&n, (const uint8_t *)opaque + fd->num_offset, sizeof(n));
    return n;
}

/* Elements this field has now (for a VARRAY: its count field's value). */
static uint32_t vmstate_n_elems(const VMStateField *fd, const void *opaque)
{
    if (fd->flags & VMS_VARRAY_UINT32) {
        return vmstate_varray_count(fd, opaque);
    }
    if (fd->flags & VMS_ARRAY) {
        return fd->num;
    }
    return 1;
}

static bool vmstate_is_array(const VMStateField *fd)
{
    return fd->flags & (VMS_ARRAY | VMS_VARRAY_UINT32);
}

/* An array can be described by its first element plus "array_len" when every
 * element has the same layout: no subsections anywhere below it. */
static bool vmstate_can_compress(const VMStateField *fd)
{
    if (!(fd->flags & VMS_STRUCT)) {
        return true;
    }
    const VMStateDescription *sub = fd->vmsd;
    if (sub->subsections && sub->subsections[0]) {
        return false;
    }
    for (const VMStateField *c = sub->fields; !vmstate_field_end(c); c++) {
        if (!vmstate_can_compress(c)) {
            return false;
        }
    }
    return true;
}

/* The vmdesc name: "name[k]" when the table uses the name more than once. */
static void vmstate_desc_name(const VMStateDescription *vmsd, const VMStateField *fd, char *buf,
                              size_t len)
{
    int count = 0, index = 0;
    for (const VMStateField *c = vmsd->fields; !vmstate_field_end(c); c++) {
        if (strcmp(c->name, fd->name) == 0) {
            if (c == fd) {
                index = count;
            }
            count++;
        }
    }
    if (count > 1) {
        snprintf(buf, len, "%s[%d]", fd->name, index);
    } else {
        snprintf(buf, len, "%s", fd->name);
    }
}

static int vmstate_save_field(QEMUFile *f, const VMStateDescription *vmsd,
                              const VMStateField *fd, void *opaque, VMDescWriter *vmdesc,
                              Error *err)
{
    uint32_t n = vmstate_n_elems(fd, opaque);
    if (n > fd->num && (fd->flags & VMS_VARRAY_UINT32)) {
        error_setf(err, "'%s' field '%s': element count %u exceeds its capacity %u", vmsd->name,
                   fd->name, n, fd->num);
        return -EINVAL;
    }
    bool compress = vmstate_can_compress(fd);
    char name[128];
    vmstate_desc_name(vmsd, fd, name, sizeof(name));
    for (uint32_t i = 0; i < n; i++) {
        void *elem = (uint8_t *)opaque + fd->offset + (size_t)i * fd->size;
        VMDescWriter *d = (vmdesc && (i == 0 || !compress)) ? vmdesc : NULL;
        if (d) {
            vmdesc_start_object(d, NULL);
            vmdesc_str(d, "name", name);
            if (vmstate_is_array(fd) && n > 1) {
                if (compress) {
                    vmdesc_int(d, "array_len", n);
                } else {
                    vmdesc_int(d, "index", i);
                }
            }
            vmdesc_str(d, "type", (fd->flags & VMS_STRUCT) ? "struct" : fd->info->name);
        }
        uint64_t start = qemu_file_tell(f);
        if (fd->flags & VMS_STRUCT) {
            if (d) {
                vmdesc_start_object(d, "struct");
            }
            int ret = vmstate_save(f, fd->vmsd, elem, d, err);
            if (d) {
                vmdesc_end_object(d);
            }
            if (ret < 0) {
                return ret;
            }
        } else {
            fd->info->put(f, elem, fd->size, fd);
        }
        if (d) {
            vmdesc_int(d, "size", (int64_t)(qemu_file_tell(f) - start));
            vmdesc_end_object(d);
        }
    }
    return 0;
}

int vmstate_save(QEMUFile *f, const VMStateDescription *vmsd, void *opaque, VMDescWriter *vmdesc,
                 Error *err)
{
    if (vmsd->pre_save) {
        int ret = vmsd->pre_save(opaque);
        if (ret < 0) {
            error_setf(err, "pre_save of '%s' failed: %s", vmsd->name, strerror(-ret));
            return ret;
        }
    }
    if (vmdesc) {
        vmdesc_str(vmdesc, "vmsd_name", vmsd->name);
        vmdesc_int(vmdesc, "version", vmsd->version_id);
        vmdesc_start_array(vmdesc, "fields");
    }
    for (const VMStateField *fd = vmsd->fields; !vmstate_field_end(fd); fd++) {
        /* A field newer than the table's own version is a table bug; it
         * could not be loaded back, so it is not written either. */
        if (fd->version_id > vmsd->version_id) {
            continue;
        }
        int ret = vmstate_save_field(f, vmsd, fd, opaque, vmdesc, err);
        if (ret < 0) {
            return ret;
        }
    }
    if (vmdesc) {
        vmdesc_end_array(vmdesc);
    }
    bool any = false;
    for (const VMStateDescription *const *s = vmsd->subsections; s && *s; s++) {
        const VMStateDescription *sub = *s;
        if (sub->needed && !sub->needed(opaque)) {
            continue;
        }
        if (vmdesc && !any) {
            vmdesc_start_array(vmdesc, "subsections");
        }
        any = true;
        qemu_file_put_u8(f, VMS_SUBSECTION);
        qemu_file_put_str8(f, sub->name);
        qemu_file_put_be32(f, (uint32_t)sub->version_id);
        if (vmdesc) {
            vmdesc_start_object(vmdesc, NULL);
        }
        int ret = vmstate_save(f, sub, opaque, vmdesc, err);
        if (vmdesc) {
            vmdesc_end_object(vmdesc);
        }
        if (ret < 0) {
            return ret;
        }
    }
    if (any && vmdesc) {
        vmdesc_end_array(vmdesc);
    }
    int ret = qemu_file_get_error(f);
    if (ret < 0) {
        error_setf(err, "writing '%s' failed: %s", vmsd->name, qemu_file_error_msg(f));
    }
    return ret;
}

static int vmstate_stream_error(QEMUFile *f, const VMStateDescription *vmsd,
                                const VMStateField *fd, Error *err)
{
    error_setf(err, "'%s' field '%s': %s", vmsd->name, fd->name, qemu_file_error_msg(f));
    return qemu_file_get_error(f);
}

static int vmstate_load_field(QEMUFile *f, const VMStateDescription *vmsd,
                              const VMStateField *fd, void *opaque, Error *err)
{
    uint32_t n = vmstate_n_elems(fd, opaque);
    if ((fd->flags & VMS_VARRAY_UINT32) && n > fd->num) {
        error_setf(err, "'%s' field '%s': element count %u exceeds the maximum %u "
                   "(stream offset %llu)", vmsd->name, fd->name, n, fd->num, vmstate_offset(f));
        return -EINVAL;
    }
    for (uint32_t i = 0; i < n; i++) {
        void *elem = (uint8_t *)opaque + fd->offset + (size_t)i * fd->size;
        int ret;
        if (fd->flags & VMS_STRUCT) {
            Error sub;
            error_init(&sub);
            ret = vmstate_load(f, fd->vmsd, elem, fd->vmsd->version_id, &sub);
            if (ret < 0 && !qemu_file_get_error(f)) {
                error_setf(err, "'%s' field '%s'[%u]: %s", vmsd->name, fd->name, i, sub.msg);
                return ret;
            }
        } else {
            ret = fd->info->get(f, elem, fd->size, fd, err);
            if (ret < 0) {
                error_prependf(err, "'%s' ", vmsd->name);
                return ret;
            }
        }
        if (qemu_file_get_error(f)) {
            return vmstate_stream_error(f, vmsd, fd, err);
        }
    }
    return 0;
}

static const VMStateDescription *vmstate_find_subsection(const VMStateDescription *vmsd,
                                                         const char *name)
{
    for (const VMStateDescription *const *s = vmsd->subsections; s && *s; s++) {
        if (strcmp((*s)->name, name) == 0) {
            return *s;
        }
    }
    return NULL;
}

static int vmstate_load_subsections(QEMUFile *f, const VMStateDescription *vmsd, void *opaque,
                                    Error *err)
{
    size_t plen = strlen(vmsd->name);
    for (;;) {
        uint8_t hdr[2];
        size_t got = qemu_file_peek(f, hdr, 2, 0);
        if (got == 0 || hdr[0] != VMS_SUBSECTION) {
            return 0;
        }
        char name[256];
        size_t len = got == 2 ? hdr[1] : 0;
        if (got < 2 || qemu_file_peek(f, name, len, 2) < len) {
            /* A subsection header cut by the end of the stream: consuming
             * it records the truncation for the caller's message. */
            qemu_file_skip(f, 2 + len);
            error_setf(err, "'%s': %s", vmsd->name, qemu_file_error_msg(f));
            return qemu_file_get_error(f);
        }
        name[len] = '\0';
        /* Bytes that do not look like one of ours belong to the next reader. */
        if (len < plen + 1 || strncmp(name, vmsd->name, plen) != 0) {
            return 0;
        }
        const VMStateDescription *sub = vmstate_find_subsection(vmsd, name);
        if (!sub) {
            error_setf(err, "VM subsection '%s' in '%s' does not exist (stream offset %llu)", name,
                       vmsd->name, vmstate_offset(f));
            return -ENOENT;
        }
        qemu_file_skip(f, 2 + len);
        int version = (int)qemu_file_get_be32(f);
        if (qemu_file_get_error(f)) {
            error_setf(err, "'%s' subsection '%s': %s", vmsd->name, name, qemu_file_error_msg(f));
            return qemu_file_get_error(f);
        }
        Error serr;
        error_init(&serr);
        int ret = vmstate_load(f, sub, opaque, version, &serr);
        if (ret < 0) {
            error_setf(err, "Loading VM subsection '%s' in '%s' failed: %d: %s", name, vmsd->name,
                       ret, serr.msg);
            return ret;
        }
    }
}

int vmstate_load(QEMUFile *f, const VMStateDescription *vmsd, void *opaque, int version_id,
                 Error *err)
{
    if (version_id > vmsd->version_id) {
        error_setf(err, "%s: incoming version_id %d is too new for local version_id %d",
                   vmsd->name, version_id, vmsd->version_id);
        return -EINVAL;
    }
    if (version_id < vmsd->minimum_version_id) {
        error_setf(err, "%s: incoming version_id %d is too old for local minimum version_id %d",
                   vmsd->name, version_id, vmsd->minimum_version_id);
        return -EINVAL;
    }
    if (vmsd->pre_load) {
        vmsd->pre_load(opaque);
    }
    for (const VMStateField *fd = vmsd->fields; !vmstate_field_end(fd); fd++) {
        if (fd->version_id > version_id) {
            continue;
        }
        int ret = vmstate_load_field(f, vmsd, fd, opaque, err);
        if (ret < 0) {
            return ret;
        }
    }
    int ret = vmstate_load_subsections(f, vmsd, opaque, err);
    if (ret < 0) {
        return ret;
    }
    if (qemu_file_get_error(f)) {
        error_setf(err, "'%s': %s", vmsd->name, qemu_file_error_msg(f));
        return qemu_file_get_error(f);
    }
    if (vmsd->post_load) {
        Error perr;
        error_init(&perr);
        ret = vmsd->post_load(opaque, version_id, &perr);
        if (ret < 0) {
            error_setf(err, "'%s' refused the loaded state: %s", vmsd->name,
                       perr.set ? perr.msg : strerror(-ret));
            return ret;
        }
    }
    return 0;
}

int vmstate_check_max(Error *err, const char *field, uint64_t value, uint64_t max)
{
    if (value <= max) {
        return 0;
    }
    error_setf(err, "field '%s' value %llu out of range (at most %llu)", field,
               (unsigned long long)value, (unsigned long long)max);
    return -EINVAL;
}

/* The schema of a table (not its values): what -dump-vmstate writes and a
 * golden copy pins, so an incompatible change shows up as a diff. */
void vmstate_describe(const VMStateDescription *vmsd, VMDescWriter *w)
{
    vmdesc_str(w, "vmsd_name", vmsd->name);
    vmdesc_int(w, "version", vmsd->version_id);
    vmdesc_int(w, "minimum_version", vmsd->minimum_version_id);
    vmdesc_start_array(w, "fields");
    for (const VMStateField *fd = vmsd->fields; !vmstate_field_end(fd); fd++) {
        char name[128];
        vmstate_desc_name(vmsd, fd, name, sizeof(name));
        vmdesc_start_object(w, NULL);
        vmdesc_str(w, "name", name);
        vmdesc_str(w, "type", (fd->flags & VMS_STRUCT) ? "struct" : fd->info->name);
        vmdesc_int(w, "size", (int64_t)fd->size);
        if (fd->flags & VMS_ARRAY) {
            vmdesc_int(w, "array_len", fd->num);
        } else if (fd->flags & VMS_VARRAY_UINT32) {
            vmdesc_int(w, "max_len", fd->num);
        }
        vmdesc_int(w, "field_version", fd->version_id);
        if (fd->flags & VMS_STRUCT) {
            vmdesc_start_object(w, "struct");
            vmstate_describe(fd->vmsd, w);
            vmdesc_end_object(w);
        }
        vmdesc_end_object(w);
    }
    vmdesc_end_array(w);
    if (vmsd->subsections && vmsd->subsections[0]) {
        vmdesc_start_array(w, "subsections");
        for (const VMStateDescription *const *sub = vmsd->subsections; *sub; sub++) {
            vmdesc_start_object(w, NULL);
            vmstate_describe(*sub, w);
            vmdesc_end_object(w);
        }
        vmdesc_end_array(w);
    }
}

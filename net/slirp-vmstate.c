/* The "slirp" section: libslirp's state as slirp_state_save writes it (QEMU
 * saves the same bytes in its "slirp" section), carried here as a counted
 * byte array with the slirp state version, so the one table engine saves,
 * loads and describes it. The host side (sockets, listening ports) is
 * never in it. */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "net/slirp-int.h"

static ssize_t vms_write(const void *buf, size_t len, void *opaque)
{
    NetSlirpVMState *v = opaque;
    if (len > sizeof(v->buf) - v->len) {
        v->len = sizeof(v->buf) + 1;     /* marks the overflow for pre_save */
        return -1;
    }
    memcpy(v->buf + v->len, buf, len);
    v->len += (uint32_t)len;
    return (ssize_t)len;
}

static ssize_t vms_read(void *buf, size_t len, void *opaque)
{
    NetSlirpVMState *v = opaque;
    if (len > v->len - v->pos) {
        return -1;
    }
    memcpy(buf, v->buf + v->pos, len);
    v->pos += (uint32_t)len;
    return (ssize_t)len;
}

static int slirp_vms_pre_save(void *opaque)
{
    NetSlirpVMState *v = opaque;
    v->len = 0;
    v->version = (uint32_t)slirp_state_version();
    slirp_state_save(v->s->slirp, vms_write, v);
    return v->len > sizeof(v->buf) ? -EFBIG : 0;
}

static int slirp_vms_post_load(void *opaque, int version_id, Error *err)
{
    NetSlirpVMState *v = opaque;
    (void)version_id;
    if (v->version == 0 || v->version > (uint32_t)slirp_state_version()) {
        error_setf(err, "field 'version' value %u: this libslirp (%s) reads state versions "
                   "up to %d", v->version, slirp_version_string(), slirp_state_version());
        return -EINVAL;
    }
    /* The stack's connections belong to the state being replaced (loadvm
     * goes back in time): they are closed, not carried over. */
    if (!net_slirp_restart(v->s, err)) {
        return -ENOMEM;
    }
    v->pos = 0;
    int ret = slirp_state_load(v->s->slirp, (int)v->version, vms_read, v);
    if (ret < 0) {
        error_setf(err, "libslirp refused its state (%d bytes, version %u): %s", v->len,
                   v->version, strerror(-ret));
        return ret;
    }
    /* On the loader's thread: the ports are bound by the main loop. */
    net_slirp_bind_forwards_later(v->s);
    return 0;
}

const VMStateDescription vmstate_slirp = {
    .name = "slirp",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = slirp_vms_pre_save,
    .post_load = slirp_vms_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(version, NetSlirpVMState),
        VMSTATE_UINT32(len, NetSlirpVMState),
        VMSTATE_VARRAY_UINT32(buf, NetSlirpVMState, len, 1, vmstate_info_uint8, uint8_t),
        VMSTATE_END_OF_LIST()
    },
};

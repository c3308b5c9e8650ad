/* The whole machine's state as one stream: save and load it complete, or
 * its devices only (QEMU's xen-save-devices-state), into a QEMUFile or a
 * file. The sections are those registered for the machine
 * (machine_migration_attach in system/). */
#include "migration/vm-state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/runstate.h"
#include "io/channel.h"
#include "savevm/savevm.h"

int vm_save_state(MigrationVM *vm, QEMUFile *f, Error *err)
{
    return savevm_save(vm->sections, f, err);
}

static void vm_loaded(MigrationVM *vm)
{
    /* Belt and braces: the CPU's post_load already dropped its caches, but
     * RAM pages may have been loaded after a device-only load in between. */
    vm->state_changed(vm->opaque);
}

int vm_load_stream(MigrationVM *vm, QEMUFile *f, Error *err)
{
    int ret = savevm_load(vm->sections, f, err);
    if (ret == 0) {
        vm_loaded(vm);
    }
    return ret;
}

void vm_load_failed(MigrationVM *vm)
{
    if (savevm_load_touched_live(vm->sections)) {
        /* Devices were rolled back but RAM was not: nothing may run it. */
        runstate_set(vm->run, RUN_STATE_INTERNAL_ERROR);
    }
}

int vm_load_state(MigrationVM *vm, QEMUFile *f, Error *err)
{
    int ret = vm_load_stream(vm, f, err);
    if (ret < 0) {
        vm_load_failed(vm);
    }
    return ret;
}

int vm_save_devices_state(MigrationVM *vm, QEMUFile *f, Error *err)
{
    return savevm_save_devices_state(vm->sections, f, err);
}

int vm_load_devices_state(MigrationVM *vm, QEMUFile *f, Error *err)
{
    if (runstate_is_running(vm->run)) {
        error_setf(err, "Cannot update device state while vm is running");
        return -EBUSY;
    }
    int ret = savevm_load_devices_state(vm->sections, f, err);
    if (ret < 0) {
        return ret;
    }
    vm_loaded(vm);
    return 0;
}

static int vm_close(QEMUFile *f, int ret, Error *err)
{
    Error cerr;
    error_init(&cerr);
    int cret = qemu_file_close(f, &cerr);
    if (ret == 0 && cret < 0) {
        error_propagate(err, &cerr);
        return cret;
    }
    if (ret < 0 && cret < 0 && cerr.set && err && err->set && strchr(cerr.msg, ';')) {
        /* The stream's first error and the channel's close error (a command
         * that exited non-zero) together explain a stream cut short. */
        const char *why = strchr(cerr.msg, ';') + 2;
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", why);
    }
    return ret;
}

int vm_save_devices_file(MigrationVM *vm, const char *path, Error *err)
{
    QEMUFile *f = qemu_file_open_path(path, true, err);
    if (!f) {
        return -EIO;
    }
    int ret = vm_save_devices_state(vm, f, err);
    return vm_close(f, ret, err);
}

int vm_load_devices_file(MigrationVM *vm, const char *path, Error *err)
{
    if (runstate_is_running(vm->run)) {
        error_setf(err, "Cannot update device state while vm is running");
        return -EBUSY;
    }
    QEMUFile *f = qemu_file_open_path(path, false, err);
    if (!f) {
        return -EIO;
    }
    int ret = vm_load_devices_state(vm, f, err);
    return vm_close(f, ret, err);
}


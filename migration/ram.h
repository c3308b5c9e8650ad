/* The RAM live section ("ram", instance 0, version 4) in QEMU's page-record
 * format over PhysMemory's main RAM, as one RAM block.
 *
 * START carries the block list; PART/END carry pages found dirty in the
 * memory's dirty bitmap (setup marks every page dirty and starts dirty
 * logging, so the first pass sends everything and later passes resend what
 * the guest wrote). A pass begins with a sync (savevm_save_sync), which
 * moves the memory's dirty bits into the pass's own bitmap; each PART sends
 * a bounded part of the pass (RAM_ITERATE_MAX_PAGES) and may run on a
 * sender thread while the guest runs: a page the guest changes while it is
 * being copied is dirty again and goes out in a later pass. END (guest
 * stopped) syncs once more and sends all that is left.
 *
 * Loading writes pages straight into guest RAM; the caller drops translated
 * code and TLBs after a load. */
#ifndef MIGRATION_RAM_H
#define MIGRATION_RAM_H

#include "emu/memory.h"
#include "savevm/savevm.h"

#define RAM_BLOCK_NAME "riscv_virt_board.ram"   /* QEMU's name on riscv virt */
#define RAM_ITERATE_MAX_PAGES 4096

#define RAM_SAVE_FLAG_ZERO          0x002
#define RAM_SAVE_FLAG_MEM_SIZE      0x004
#define RAM_SAVE_FLAG_PAGE          0x008
#define RAM_SAVE_FLAG_EOS           0x010
#define RAM_SAVE_FLAG_CONTINUE      0x020
#define RAM_SAVE_FLAG_XBZRLE        0x040
#define RAM_XBZRLE_ENCODING         0x01

/* Registers the section for m's RAM (block_name NULL: RAM_BLOCK_NAME).
 * 0 or a negative errno (no RAM, already registered). */
int ram_register(SaveVMState *s, PhysMemory *m, const char *block_name);
void ram_unregister(SaveVMState *s);

/* Counters of the current (or last) save, for info migrate. A "sync" is the
 * start of a pass over the dirty bitmap; dirty_pages_last_sync is how many
 * pages it took up that were not already waiting (those the guest dirtied
 * since the previous sync). */
typedef struct RamStats {
    uint64_t zero_pages, normal_pages, sync_count, dirty_pages_last_sync;
    uint64_t xbzrle_pages, xbzrle_bytes, xbzrle_cache_miss, xbzrle_overflow;
} RamStats;
/* A consistent copy, from any thread (updated after every PART). */
void ram_stats_get(SaveVMState *s, RamStats *out);
/* Pages per PART of s's RAM section (default RAM_ITERATE_MAX_PAGES): live
 * migration keeps each step short. 0 restores the default. Takes effect at
 * the next save setup. */
void ram_set_iterate_max_pages(SaveVMState *s, uint64_t n);
/* XBZRLE for later passes of s's RAM section, with a cache of cache_size
 * bytes of sent pages (0: off). Returns 0, or -ENOENT without a RAM
 * section. Takes effect at the next save setup. */
int ram_set_xbzrle(SaveVMState *s, uint64_t cache_size);

#endif

/* QEMU/Amber riscv "virt" board: addresses and tiny polled drivers. */
#ifndef AMBER_GUEST_VIRT_H
#define AMBER_GUEST_VIRT_H
#include <stdint.h>

#define UART_BASE     0x10000000UL
#define FINISHER_BASE 0x00100000UL
#define CLINT_BASE    0x02000000UL
#define CLINT_MSIP    (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME   (CLINT_BASE + 0xbff8)
#define PLIC_BASE     0x0c000000UL
#define RAM_BASE      0x80000000UL
#define TIMEBASE_HZ   10000000UL
#define UART_IRQ      10

#define MMIO8(a)  (*(volatile uint8_t *)(uintptr_t)(a))
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define MMIO64(a) (*(volatile uint64_t *)(uintptr_t)(a))

#define csr_read(csr) ({ unsigned long __v; \
    __asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) ({ unsigned long __v = (unsigned long)(val); \
    __asm__ volatile("csrw " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_set(csr, val) ({ unsigned long __v = (unsigned long)(val); \
    __asm__ volatile("csrs " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_clear(csr, val) ({ unsigned long __v = (unsigned long)(val); \
    __asm__ volatile("csrc " #csr ", %0" :: "rK"(__v) : "memory"); })
#define csr_swap(csr, val) ({ unsigned long __v = (unsigned long)(val); \
    __asm__ volatile("csrrw %0, " #csr ", %0" : "+r"(__v) :: "memory"); __v; })

#define MSTATUS_SIE  (1UL << 1)
#define MSTATUS_MIE  (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP  (1UL << 8)
#define MSTATUS_MPP  (3UL << 11)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM  (1UL << 18)
#define MSTATUS_MXR  (1UL << 19)
#define MIP_SSIP (1UL << 1)
#define MIP_MSIP (1UL << 3)
#define MIP_STIP (1UL << 5)
#define MIP_MTIP (1UL << 7)
#define MIP_SEIP (1UL << 9)
#define MIP_MEIP (1UL << 11)
#define CAUSE_IRQ (1UL << 63)

static inline uint64_t mtime(void) { return MMIO64(CLINT_MTIME); }
static inline void set_mtimecmp(uint64_t v) { MMIO64(CLINT_MTIMECMP) = v; }

/* Functions in common/fmt.c */
void uart_init(void);
void uart_putc(int c);
int uart_getc(void);              /* -1 when nothing is waiting */
void puts_raw(const char *s);     /* no newline added */
void put_hex(uint64_t v);         /* 0x%016lx */
void put_hexn(uint64_t v, int digits);
void put_dec(uint64_t v);
void put_sdec(int64_t v);
void put_pad_dec(uint64_t v, int width);
__attribute__((noreturn)) void virt_exit(int code);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
#endif

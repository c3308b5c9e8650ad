/* picolibc hello world: stdio bound to the 16550, exit() -> finisher.
 * Built with --crt0=hosted so main's return value reaches _exit().
 * EXIT_CODE selects the exit status (hello42.elf exits 42). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#ifndef EXIT_CODE
#define EXIT_CODE 0
#endif

#define UART ((volatile uint8_t *)0x10000000UL)
#define FINISHER ((volatile uint32_t *)0x100000UL)

static int uart_put(char c, FILE *f)
{
    (void)f;
    if (c == '\n')
        uart_put('\r', f);
    while (!(UART[5] & 0x20))
        ;
    UART[0] = (uint8_t)c;
    return (unsigned char)c;
}

static FILE uart_file = FDEV_SETUP_STREAM(uart_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &uart_file;
FILE *const stdout = &uart_file;
FILE *const stderr = &uart_file;

void _exit(int code)
{
    *FINISHER = code ? (((uint32_t)code << 16) | 0x3333) : 0x5555;
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    unsigned long hart;
    __asm__ volatile("csrr %0, mhartid" : "=r"(hart));
    printf("Hello, RISC-V virt! hart %lu\n", hart);
    printf("printf check: %d %x %s %5.2f%%\n", -7, 0xbeefu, "str", 12.345);
    printf("exiting with code %d\n", EXIT_CODE);
    return EXIT_CODE;
}

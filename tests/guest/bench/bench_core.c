/* rvbench kernels.  Everything is fixed-width unsigned arithmetic so the
 * host and the RV64 guest compute bit-identical checksums. */
#include "bench_core.h"

#define LIST_N 512
#define MAT_N 24
#define CRC_LEN 1024
#define SORT_N 1024
#define SIEVE_N 8192
#define FSM_LEN 512

static uint32_t lcg_state;
static uint32_t rnd(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state ^ (lcg_state >> 15);
}

/* ---- linked list: build, merge sort, search, reverse ---- */
struct node { struct node *next; uint32_t key; uint32_t val; };
static struct node nodes[LIST_N];

static struct node *list_merge(struct node *a, struct node *b)
{
    struct node head, *t = &head;
    while (a && b) {
        if (a->key <= b->key) { t->next = a; a = a->next; }
        else { t->next = b; b = b->next; }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

static struct node *list_sort(struct node *l)
{
    /* bottom-up merge sort with an array of sublists */
    struct node *bins[32] = { 0 };
    while (l) {
        struct node *n = l;
        l = l->next;
        n->next = 0;
        int i = 0;
        while (bins[i]) { n = list_merge(bins[i], n); bins[i] = 0; i++; }
        bins[i] = n;
    }
    struct node *r = 0;
    for (int i = 0; i < 32; i++)
        if (bins[i]) r = list_merge(bins[i], r);
    return r;
}

static uint32_t k_list(uint32_t seed)
{
    struct node *head = 0;
    for (int i = 0; i < LIST_N; i++) {
        nodes[i].key = (rnd() ^ seed) & 0xffff;
        nodes[i].val = (uint32_t)i;
        nodes[i].next = head;
        head = &nodes[i];
    }
    head = list_sort(head);
    uint32_t sum = 0;
    for (int s = 0; s < 32; s++) {
        uint32_t want = rnd() & 0xffff;
        uint32_t pos = 0;
        struct node *n = head;
        while (n && n->key < want) { n = n->next; pos++; }
        sum += pos * 7 + (n ? n->val : 0xffff);
    }
    struct node *prev = 0;
    while (head) { struct node *nx = head->next; head->next = prev; prev = head; head = nx; }
    for (int i = 0; prev && i < 16; i++, prev = prev->next)
        sum = sum * 31 + prev->key;
    return sum;
}

/* ---- matrix multiply ---- */
static int32_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static uint32_t k_matmul(uint32_t seed)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int32_t)(rnd() % 2001) - 1000;
            mb[i][j] = (int32_t)((rnd() ^ seed) % 2001) - 1000;
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < MAT_N; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    uint32_t sum = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            sum = (sum << 3 | sum >> 29) ^ (uint32_t)mc[i][j];
    return sum;
}

/* ---- CRC-32 (reflected, bitwise) and CRC-16/CCITT ---- */
static uint8_t crcbuf[CRC_LEN];
static uint32_t k_crc(uint32_t seed)
{
    for (int i = 0; i < CRC_LEN; i++)
        crcbuf[i] = (uint8_t)(rnd() ^ seed);
    uint32_t c32 = 0xffffffffu;
    uint16_t c16 = 0xffff;
    for (int i = 0; i < CRC_LEN; i++) {
        c32 ^= crcbuf[i];
        for (int b = 0; b < 8; b++)
            c32 = (c32 >> 1) ^ (0xedb88320u & (0u - (c32 & 1)));
        c16 ^= (uint16_t)(crcbuf[i] << 8);
        for (int b = 0; b < 8; b++)
            c16 = (uint16_t)((c16 & 0x8000) ? (c16 << 1) ^ 0x1021 : c16 << 1);
    }
    return ~c32 ^ ((uint32_t)c16 << 7);
}

/* ---- recursive quicksort ---- */
static uint32_t sarr[SORT_N];
static void qsort_u32(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { qsort_u32(a, lo, j); lo = i; }
        else { qsort_u32(a, i, hi); hi = j; }
    }
}
static uint32_t k_sort(uint32_t seed)
{
    for (int i = 0; i < SORT_N; i++)
        sarr[i] = rnd() ^ seed;
    qsort_u32(sarr, 0, SORT_N - 1);
    uint32_t sum = 0, bad = 0;
    for (int i = 1; i < SORT_N; i++) {
        bad += sarr[i - 1] > sarr[i];
        if ((i & 63) == 0) sum = sum * 33 + sarr[i];
    }
    return sum + bad * 0x10001u;
}

/* ---- sieve, gcd, division, multiply-high ---- */
static uint8_t sieve[SIEVE_N];
static uint64_t mulhu64(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}
static uint32_t k_int(uint32_t seed)
{
    for (int i = 0; i < SIEVE_N; i++) sieve[i] = 1;
    uint32_t primes = 0;
    for (int i = 2; i < SIEVE_N; i++)
        if (sieve[i]) {
            primes++;
            for (int j = i * 2; j < SIEVE_N; j += i) sieve[j] = 0;
        }
    uint64_t acc = primes;
    for (int k = 0; k < 64; k++) {
        uint64_t a = ((uint64_t)rnd() << 32 | rnd()) ^ seed, b = ((uint64_t)rnd() << 16) | 1;
        uint64_t x = a, y = b;
        while (y) { uint64_t t = x % y; x = y; y = t; }
        acc += x;
        acc ^= a / b + a % (b | 3);
        acc += mulhu64(a, b ^ acc);
        int64_t sa = (int64_t)a, sb = (int64_t)(b | 1) - 12345;
        acc ^= (uint64_t)(sa / sb) + (uint64_t)(sa % sb);
    }
    return (uint32_t)(acc ^ (acc >> 32));
}

/* ---- CoreMark-style token state machine ---- */
static char text[FSM_LEN];
enum { S_START, S_INT, S_FLOAT, S_EXP, S_SCI, S_INVALID };
static uint32_t k_fsm(uint32_t seed)
{
    static const char alphabet[] = "0123456789.e+-, x5.5e3,";
    for (int i = 0; i < FSM_LEN; i++)
        text[i] = alphabet[(rnd() ^ seed) % (sizeof(alphabet) - 1)];
    uint32_t counts[6] = { 0 };
    int state = S_START;
    for (int i = 0; i < FSM_LEN; i++) {
        char c = text[i];
        if (c == ',' || c == ' ') { counts[state]++; state = S_START; continue; }
        switch (state) {
        case S_START:
            if (c >= '0' && c <= '9') state = S_INT;
            else if (c == '+' || c == '-') state = S_INT;
            else if (c == '.') state = S_FLOAT;
            else state = S_INVALID;
            break;
        case S_INT:
            if (c == '.') state = S_FLOAT;
            else if (c == 'e') state = S_EXP;
            else if (!(c >= '0' && c <= '9')) state = S_INVALID;
            break;
        case S_FLOAT:
            if (c == 'e') state = S_EXP;
            else if (!(c >= '0' && c <= '9')) state = S_INVALID;
            break;
        case S_EXP:
            if (c == '+' || c == '-' || (c >= '0' && c <= '9')) state = S_SCI;
            else state = S_INVALID;
            break;
        case S_SCI:
            if (!(c >= '0' && c <= '9')) state = S_INVALID;
            break;
        default:
            break;
        }
    }
    counts[state]++;
    uint32_t sum = 0;
    for (int i = 0; i < 6; i++) sum = sum * 131 + counts[i];
    return sum;
}

/* ---- atomics: amoadd.w, amoxor.w, lr/sc (CAS loop) ---- */
static uint32_t at_counter, at_mask;
static uint64_t at_max;
static uint32_t k_atomic(uint32_t seed)
{
    for (int i = 0; i < 64; i++) {
        uint32_t r = rnd() ^ seed;
        __atomic_fetch_add(&at_counter, r & 0xff, __ATOMIC_ACQUIRE);
        __atomic_fetch_xor(&at_mask, r, __ATOMIC_RELAXED);
        uint64_t old = __atomic_load_n(&at_max, __ATOMIC_RELAXED), nv;
        do {
            nv = old > r ? old - r : old + r;
        } while (!__atomic_compare_exchange_n(&at_max, &old, nv, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    }
    return at_counter ^ at_mask ^ (uint32_t)at_max;
}

void bench_init(void)
{
    lcg_state = 0x12345678u;
    at_counter = at_mask = 0;
    at_max = 0;
}

uint32_t bench_iteration(uint32_t iter)
{
    uint32_t seed = iter * 0x9e3779b9u;
    uint32_t c = 0;
    c = (c * 0x01000193u) ^ k_list(seed);
    c = (c * 0x01000193u) ^ k_matmul(seed);
    c = (c * 0x01000193u) ^ k_crc(seed);
    c = (c * 0x01000193u) ^ k_sort(seed);
    c = (c * 0x01000193u) ^ k_int(seed);
    c = (c * 0x01000193u) ^ k_fsm(seed);
    c = (c * 0x01000193u) ^ k_atomic(seed);
    return c;
}

uint32_t bench_run(uint32_t iters)
{
    uint32_t sum = 0x811c9dc5u;
    bench_init();
    for (uint32_t i = 0; i < iters; i++)
        sum = (sum ^ bench_iteration(i)) * 0x01000193u;
    return sum;
}

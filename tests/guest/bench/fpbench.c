/* fpbench: double-precision work for make bench (bench/fp.sh) — a 48x48
 * matrix multiply and a five-body gravity simulation (the Computer Language
 * Benchmarks Game's n-body: sqrt, divides, fused multiply-adds), ITERS
 * times each. Prints the bits of both results, which must be the same on
 * every emulator (diff-qemu.sh runs the short build against QEMU), and the
 * minstret delta of the timed region ("@" lines: diff-qemu ignores them).
 *
 * Built rv64imafdc with the lp64 ABI (the toolchain has no lp64d libgcc):
 * arithmetic is in the FPU, doubles cross calls in integer registers. */
#include "virt.h"

#ifndef ITERS
#define ITERS 4
#endif

#define N 48
#define BODIES 5
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

static double ma[N][N], mb[N][N], mc[N][N];

typedef struct {
    double x, y, z, vx, vy, vz, mass;
} Body;

static Body bodies[BODIES];

static const Body initial[BODIES] = {
    { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
    { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
      -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS },
    { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
      2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS },
    { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
      -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS },
    { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
      -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS },
};

static uint64_t bits(double d)
{
    union { double d; uint64_t u; } v = { d };
    return v.u;
}

static void __attribute__((noinline)) matmul_init(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            ma[i][j] = (double)(i * N + j + 1) / (double)(N * N);
            mb[i][j] = (double)((i + 2 * j) % 7 - 3) * 0.25 + 1.0 / (double)(i + j + 1);
        }
    }
}

/* c = a * b, then a = c scaled back, so repeating it stays finite. */
static double __attribute__((noinline)) matmul(void)
{
    double trace = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) {
                s += ma[i][k] * mb[k][j];
            }
            mc[i][j] = s;
        }
    }
    for (int i = 0; i < N; i++) {
        trace += mc[i][i];
        for (int j = 0; j < N; j++) {
            ma[i][j] = mc[i][j] / (1.0 + (mc[i][j] < 0 ? -mc[i][j] : mc[i][j]));
        }
    }
    return trace;
}

static void __attribute__((noinline)) nbody_init(void)
{
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < BODIES; i++) {
        bodies[i] = initial[i];
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static void __attribute__((noinline)) nbody_advance(int steps, double dt)
{
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < BODIES; i++) {
            Body *a = &bodies[i];
            for (int j = i + 1; j < BODIES; j++) {
                Body *b = &bodies[j];
                double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * __builtin_sqrt(d2));
                a->vx -= dx * b->mass * mag;
                a->vy -= dy * b->mass * mag;
                a->vz -= dz * b->mass * mag;
                b->vx += dx * a->mass * mag;
                b->vy += dy * a->mass * mag;
                b->vz += dz * a->mass * mag;
            }
        }
        for (int i = 0; i < BODIES; i++) {
            bodies[i].x += dt * bodies[i].vx;
            bodies[i].y += dt * bodies[i].vy;
            bodies[i].z += dt * bodies[i].vz;
        }
    }
}

static double __attribute__((noinline)) nbody_energy(void)
{
    double e = 0;
    for (int i = 0; i < BODIES; i++) {
        Body *a = &bodies[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < BODIES; j++) {
            Body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static uint64_t __attribute__((noinline)) run(void)
{
    uint64_t sum = 0;
    matmul_init();
    nbody_init();
    for (int it = 0; it < ITERS; it++) {
        sum = sum * 31 + bits(matmul());
        nbody_advance(20000, 0.01);
        sum = sum * 31 + bits(nbody_energy());
    }
    return sum;
}

int main(void)
{
    uart_init();
    csr_set(mstatus, 1ul << 13);             /* FS = Initial: the FPU is on */
    puts_raw("fpbench iters=");
    put_dec(ITERS);
    puts_raw("\n");
    uint64_t i0 = csr_read(minstret);
    uint64_t sum = run();
    uint64_t i1 = csr_read(minstret);
    puts_raw("checksum=");
    put_hex(sum);
    puts_raw(" energy=");
    put_hex(bits(nbody_energy()));
    puts_raw("\n@minstret_delta=");
    put_dec(i1 - i0);
    puts_raw("\n");
    return 0;
}

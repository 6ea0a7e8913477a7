/* bin_ceiling.c: the binning ceiling of this machine, the yardstick for driftd's PSI binning
 * kernel. 16 float columns of 1,000,000 values each are counted into 10 bins bounded by 9
 * sorted inner edges (decile edges), the bin of a value being the number of edges <= it:
 * no branch on the data, and 8 sub-histograms so that neighbouring values never wait on
 * the same counter. What plain C reaches here is the figure driftd's kernel is held to.
 *
 * Build: gcc -O3 -march=native -o bin_ceiling bin_ceiling.c
 * Run:   ./bin_ceiling
 * Prints one JSON line: the median of 7 timed passes over all columns, as values/s,
 * records/s (16 columns a record) and GB/s of float input; "check" is the number of
 * values counted (16,000,000) and "max_bin_share_error" how far a bin strays from 10%. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { COLUMNS = 16, ROWS = 1000000, EDGES = 9, BINS = EDGES + 1, LANES = 8, PASSES = 7 };

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Adds the bin counts of x[0..n) to out[0..BINS). Not inlined: the pass measured is this
 * function on one column, as a library would call it. */
__attribute__((noinline)) static void histogram(const float *restrict x, size_t n, const float *restrict edge,
                      uint32_t *restrict out) {
  uint32_t sub[BINS][LANES];
  memset(sub, 0, sizeof sub);
  const size_t whole = n - n % LANES;
  for (size_t i = 0; i < whole; i += LANES) {
    uint32_t bin[LANES];
    for (int l = 0; l < LANES; l++) {
      uint32_t b = 0;
      for (int k = 0; k < EDGES; k++) b += x[i + l] >= edge[k];
      bin[l] = b;
    }
    for (int l = 0; l < LANES; l++) sub[bin[l]][l]++;
  }
  for (size_t l = 0; l < n - whole; l++) {
    uint32_t b = 0;
    for (int k = 0; k < EDGES; k++) b += x[whole + l] >= edge[k];
    sub[b][l]++;
  }
  for (int b = 0; b < BINS; b++) {
    uint32_t s = 0;
    for (int l = 0; l < LANES; l++) s += sub[b][l];
    out[b] += s;
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  float *data = aligned_alloc(64, sizeof(float) * (size_t)COLUMNS * ROWS);
  if (!data) { fprintf(stderr, "out of memory\n"); return 1; }
  /* Column c: uniform on [c, c + 1), its decile edges c + 0.1 .. c + 0.9. */
  float edges[COLUMNS][EDGES];
  uint64_t state = 20261125;
  for (int c = 0; c < COLUMNS; c++) {
    for (size_t i = 0; i < ROWS; i++)
      data[(size_t)c * ROWS + i] = (float)c + (float)((splitmix64(&state) >> 40) * 0x1p-24);
    for (int k = 0; k < EDGES; k++) edges[c][k] = (float)c + 0.1f * (float)(k + 1);
  }
  uint32_t counts[COLUMNS][BINS];
  double took[PASSES];
  for (int p = 0; p < PASSES; p++) {
    memset(counts, 0, sizeof counts);
    double t = seconds();
    for (int c = 0; c < COLUMNS; c++) histogram(data + (size_t)c * ROWS, ROWS, edges[c], counts[c]);
    took[p] = seconds() - t;
  }
  qsort(took, PASSES, sizeof took[0], by_value);
  double median = took[PASSES / 2];
  uint64_t counted = 0;
  double worst = 0;
  for (int c = 0; c < COLUMNS; c++)
    for (int b = 0; b < BINS; b++) {
      counted += counts[c][b];
      double err = (double)counts[c][b] / ROWS - 0.1;
      if (err < 0) err = -err;
      if (err > worst) worst = err;
    }
  double values = (double)COLUMNS * ROWS;
  printf("{\"columns\":%d,\"values\":%.0f,\"edges\":%d,\"passes\":%d,\"seconds_median\":%.5f,"
         "\"seconds_best\":%.5f,\"values_per_s\":%.0f,\"records_per_s_16cols\":%.0f,\"GB_per_s\":%.2f,"
         "\"check\":%llu,\"max_bin_share_error\":%.5f}\n",
         COLUMNS, values, EDGES, PASSES, median, took[0], values / median, ROWS / median,
         values * sizeof(float) / 1e9 / median, (unsigned long long)counted, worst);
  free(data);
  return counted == (uint64_t)values ? 0 : 1;
}

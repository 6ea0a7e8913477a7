/* produce.c: publishes every line of a JSON Lines file as one Kafka message (the line
 * without its newline; key: the topic prefix, which is the model id for W1), spread over
 * the partitions round-robin by line number, and measures how fast the cluster takes them.
 * The file is mapped and handed to librdkafka without copying; the run ends when every
 * message is acknowledged (or failed).
 *
 * Build: gcc -O2 -o produce produce.c -lrdkafka
 * Usage: ./produce <bootstrap> <topic-prefix> <file> [partitions=4] [batch=0]
 *   batch 0: every line to topic <prefix>; batch B > 0: lines [k*B, (k+1)*B) to topic
 *   <prefix>_kk (two digits), matching mock_broker's ntopics.
 * Prints one JSON line: produced, delivered, failed, bytes, seconds, msgs_per_s, MB_per_s.
 * Exits 1 when a message failed. */
#include <librdkafka/rdkafka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long delivered, failed;
static char first_error[256];

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk; (void)opaque;
  if (m->err) {
    if (!failed++) snprintf(first_error, sizeof first_error, "%s", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "produce: %s\n", err);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: produce bootstrap topic-prefix file [partitions] [batch]\n"); return 2; }
  const char *prefix = argv[2];
  int partitions = argc > 4 ? atoi(argv[4]) : 4;
  long batch = argc > 5 ? atol(argv[5]) : 0;
  if (partitions < 1 || batch < 0) { fprintf(stderr, "produce: bad partitions or batch\n"); return 2; }

  int fd = open(argv[3], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[3]); return 1; }
  size_t size = (size_t)st.st_size;
  const char *data = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
  if (size && data == MAP_FAILED) { perror("mmap"); return 1; }
  if (size) madvise((void *)data, size, MADV_SEQUENTIAL);

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "linger.ms", "10");
  set(conf, "batch.num.messages", "10000");
  set(conf, "queue.buffering.max.messages", "2000000");
  set(conf, "queue.buffering.max.kbytes", "2097152");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "produce: %s\n", err); return 1; }

  rd_kafka_topic_t **topics = NULL;
  long ntopics = 0;
  long n = 0;
  unsigned long long bytes = 0;
  size_t key_len = strlen(prefix);
  double start = now();
  for (const char *p = data, *end = data + size; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = nl ? nl : end;
    size_t len = (size_t)(line_end - p);
    if (len) {
      long t = batch ? n / batch : 0;
      if (t >= ntopics) {
        topics = realloc(topics, sizeof *topics * (size_t)(t + 1));
        for (; ntopics <= t; ntopics++) {
          char name[512];
          if (batch) snprintf(name, sizeof name, "%s_%02ld", prefix, ntopics);
          else snprintf(name, sizeof name, "%s", prefix);
          topics[ntopics] = rd_kafka_topic_new(rk, name, NULL);
        }
      }
      for (;;) {
        /* flags 0: librdkafka neither copies nor frees the payload; the mapping outlives it. */
        if (rd_kafka_produce(topics[t], (int32_t)(n % partitions), 0, (void *)p, len, prefix, key_len, NULL) == 0) break;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e)); return 1; }
        rd_kafka_poll(rk, 5);
      }
      n++;
      bytes += len;
      if ((n & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    p = line_end + 1;
  }
  while (rd_kafka_outq_len(rk) > 0 && now() - start < 300) rd_kafka_flush(rk, 1000);
  double took = now() - start;
  rd_kafka_poll(rk, 0);
  printf("{\"produced\":%ld,\"delivered\":%ld,\"failed\":%ld,\"topics\":%ld,\"bytes\":%llu,\"seconds\":%.3f,"
         "\"msgs_per_s\":%.0f,\"MB_per_s\":%.1f}\n",
         n, delivered, failed, ntopics, bytes, took, n / took, bytes / 1e6 / took);
  if (failed) fprintf(stderr, "produce: %ld messages failed, first: %s\n", failed, first_error);
  for (long t = 0; t < ntopics; t++) rd_kafka_topic_destroy(topics[t]);
  free(topics);
  rd_kafka_destroy(rk);
  if (size) munmap((void *)data, size);
  close(fd);
  return failed || delivered != n ? 1 : 0;
}

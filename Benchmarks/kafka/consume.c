/* consume.c: the raw librdkafka consumer driftd is measured against: a consumer-group
 * member (high-level consumer, rd_kafka_consumer_poll one message at a time) that only
 * touches each payload (its first and last byte), the least any consumer does.
 *
 * Build: gcc -O2 -o consume consume.c -lrdkafka
 * Usage: ./consume <bootstrap> <topic-or-^regex> <group> <count> [property value]...
 *   Reads from the earliest offset (new group) until <count> messages have arrived, or
 *   nothing has arrived for 30 s (120 s before the first message). Extra librdkafka
 *   properties come in pairs, e.g. enable.auto.commit false.
 * Prints one JSON line: messages, bytes, seconds_incl_join (from start), seconds_from_first
 * (from the first message), msgs_per_s and MB_per_s (both from the first message), errors,
 * chk (a sum of the touched bytes). A run cut short is timed to its last message.
 * Exits 1 when fewer than <count> messages arrived. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "consume: %s\n", err);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc < 5 || (argc - 5) % 2) {
    fprintf(stderr, "usage: consume bootstrap topic-or-^regex group count [property value]...\n");
    return 2;
  }
  long want = atol(argv[4]);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "group.id", argv[3]);
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "enable.partition.eof", "false");
  for (int i = 5; i + 1 < argc; i += 2) set(conf, argv[i], argv[i + 1]);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "consume: %s\n", err); return 1; }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e) { fprintf(stderr, "consume: subscribe: %s\n", rd_kafka_err2str(e)); return 1; }

  long n = 0, errors = 0;
  unsigned long long bytes = 0, chk = 0;
  double start = now(), first = 0, last = start;
  while (n < want) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
    double t = now();
    if (!m) {
      if (t - last > (n ? 30 : 120)) break;
      continue;
    }
    if (m->err) {
      if (!errors++) fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (!n) first = t;
      const unsigned char *p = m->payload;
      if (m->len) chk += p[0] + p[m->len - 1];
      bytes += m->len;
      n++;
      last = t;
    }
    rd_kafka_message_destroy(m);
  }
  double end = n == want ? now() : last; /* cut short: up to the last message, not the wait */
  double from_first = n ? end - first : 0;
  printf("{\"messages\":%ld,\"bytes\":%llu,\"seconds_incl_join\":%.3f,\"seconds_from_first\":%.3f,"
         "\"msgs_per_s\":%.0f,\"MB_per_s\":%.1f,\"errors\":%ld,\"chk\":%llu}\n",
         n, bytes, end - start, from_first, from_first > 0 ? n / from_first : 0.0,
         from_first > 0 ? bytes / 1e6 / from_first : 0.0, errors, chk);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n == want ? 0 : 1;
}

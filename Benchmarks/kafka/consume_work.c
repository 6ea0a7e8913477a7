/* consume_work.c: a consumer-group consumer that polls in batches like driftd
 * (rd_kafka_consume_batch_queue, 10,000 messages, 100 ms) and spends a fixed amount of CPU
 * per message (busy wait), standing in for a pipeline that costs that much per record.
 * It tells how fast a consumer that does work can be served by the broker, apart from
 * what the work itself costs.
 * Build: gcc -O2 -o consume_work consume_work.c -lrdkafka
 * Usage: ./consume_work <bootstrap> <topic-or-^regex> <group> <count> <work-ns>
 * Prints JSON like consume.c beside it (msgs_per_s from the first message), with work_ns. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: consume_work bootstrap topic group count work-ns\n"); return 2; }
  long want = atol(argv[4]);
  double work = atol(argv[5]) / 1e9;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) ||
      rd_kafka_conf_set(conf, "group.id", argv[3], err, sizeof err) ||
      rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  static rd_kafka_message_t *batch[10000];
  long n = 0; unsigned long long bytes = 0, sum = 0; double start = now(), first = 0;
  while (n < want && now() - start < 120) {
    ssize_t got = rd_kafka_consume_batch_queue(queue, 100, batch, 10000);
    for (ssize_t i = 0; i < got; i++) {
      rd_kafka_message_t *m = batch[i];
      if (!m->err) {
        if (n == 0) first = now();
        const unsigned char *p = m->payload;
        bytes += m->len; sum += p[0] + p[m->len - 1];
        n++;
        for (double until = now() + work; now() < until;) {}
      }
      rd_kafka_message_destroy(m);
    }
  }
  double end = now();
  printf("{\"messages\":%ld,\"bytes\":%llu,\"seconds_incl_join\":%.3f,\"seconds_from_first\":%.3f,"
         "\"msgs_per_s\":%.0f,\"work_ns\":%s,\"chk\":%llu}\n",
         n, bytes, end - start, end - first, n / (end - first), argv[5], sum);
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n == want ? 0 : 1;
}

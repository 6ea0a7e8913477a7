/* mock_broker.c: an embedded Kafka cluster for the benchmarks, librdkafka's mock cluster
 * (rdkafka_mock.h) listening on loopback TCP, with the benchmark's topics created up front.
 * It prints the bootstrap servers as the first line of stdout and serves until SIGTERM or
 * SIGINT.
 *
 * Build: gcc -O2 -o mock_broker mock_broker.c -lrdkafka
 * Usage: ./mock_broker [topic-prefix=w1] [partitions=4] [replication=1] [ntopics=1]
 *   replication: brokers in the cluster, and every partition's replication factor.
 *   ntopics 1 creates the topic <prefix>; ntopics N > 1 creates <prefix>_00 .. <prefix>_<N-1>
 *   (two digits). librdkafka 2.0.2's mock keeps only about 5 MB of each partition's log
 *   (older segments are dropped), so W1's 1M records (363 MB) go to 25 topics x 4
 *   partitions: 40,000 records, 14.5 MB a topic. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static int positive(const char *arg, const char *what) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (*end || v < 1 || v > 100000) {
    fprintf(stderr, "mock_broker: %s must be a positive integer, not '%s'\n", what, arg);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char **argv) {
  const char *prefix = argc > 1 ? argv[1] : "w1";
  int partitions = argc > 2 ? positive(argv[2], "partitions") : 4;
  int replication = argc > 3 ? positive(argv[3], "replication") : 1;
  int ntopics = argc > 4 ? positive(argv[4], "ntopics") : 1;

  /* Block the stop signals before librdkafka starts its threads (they inherit the mask),
   * so that only sigwait below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  char err[512];
  /* The cluster runs on the background thread of a client handle; this one only owns it. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err); /* it has no bootstrap servers of its own: no notice */
  rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!owner) { fprintf(stderr, "mock_broker: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(owner, replication);
  if (!cluster) { fprintf(stderr, "mock_broker: could not start the mock cluster\n"); return 1; }
  for (int t = 0; t < ntopics; t++) {
    char name[512];
    if (ntopics == 1) snprintf(name, sizeof name, "%s", prefix);
    else snprintf(name, sizeof name, "%s_%02d", prefix, t);
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, name, partitions, replication);
    if (e) { fprintf(stderr, "mock_broker: creating %s: %s\n", name, rd_kafka_err2str(e)); return 1; }
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  fprintf(stderr, "mock_broker: %d broker(s), %d topic(s) '%s%s' x %d partitions\n", replication,
          ntopics, prefix, ntopics == 1 ? "" : "_NN", partitions);

  int sig = 0;
  sigwait(&stop, &sig);
  fprintf(stderr, "mock_broker: signal %d, stopping\n", sig);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(owner);
  return 0;
}

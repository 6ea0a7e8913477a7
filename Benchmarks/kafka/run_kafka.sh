#!/usr/bin/env bash
# The Kafka ceiling of this machine on its own (scripts/kafka-bench puts driftd beside it):
# the embedded broker (mock_broker.c), the W1 stream published by the C producer
# (produce.c) over topics of 40,000 records x 4 partitions (the mock keeps only ~5 MB per
# partition log), then read RUNS times by the touch-only C group consumer (consume.c), each
# run a fresh group, and by kcat's group consumer when kcat is installed.
# usage: Benchmarks/kafka/run_kafka.sh [FILE] [RUNS]
#   FILE defaults to $W1_DIR/data/w1_stream.jsonl (W1_DIR: /tmp/w1; Benchmarks/w1/prepare
#   makes it); RUNS to 3. Prints one line per step, each with the program's JSON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:-${W1_DIR:-/tmp/w1}/data/w1_stream.jsonl}
runs=${2:-3}
[ -s "$data" ] || { echo "run_kafka: no $data (run Benchmarks/w1/prepare first)" >&2; exit 1; }
n=$(wc -l < "$data")
per_topic=40000
ntopics=$(( (n + per_topic - 1) / per_topic ))
if [ "$ntopics" -le 1 ]; then ntopics=1; per_topic=0; fi
k=$(mktemp -d)
for p in mock_broker produce consume; do gcc -O2 -o "$k/$p" "$here/$p.c" -lrdkafka; done
"$k/mock_broker" w1 4 1 "$ntopics" > "$k/bootstrap" 2> "$k/broker.err" &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true; rm -rf "$k"' EXIT
for _ in $(seq 100); do [ -s "$k/bootstrap" ] && break; sleep 0.1; done
bs=$(head -1 "$k/bootstrap")
[ -n "$bs" ] || { echo "run_kafka: the mock broker did not start:" >&2; cat "$k/broker.err" >&2; exit 1; }
topics='^w1(_.*)?$'
echo "bootstrap $bs, $n messages, $ntopics topic(s) x 4 partitions"
echo "C producer: $("$k/produce" "$bs" w1 "$data" 4 "$per_topic")"
for r in $(seq "$runs"); do
  echo "C consumer, run $r: $("$k/consume" "$bs" "$topics" "consume-$r-$$" "$n" || true)"
done
if command -v kcat >/dev/null; then
  for r in $(seq "$runs"); do
    s=$(date +%s.%N)
    timeout 180 kcat -b "$bs" -G "kcat-$r-$$" -X auto.offset.reset=earliest -c "$n" -q -f '%s\n' "$topics" > /dev/null 2> "$k/kcat.err" || true
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" -v n="$n" -v r="$r" \
      'BEGIN { printf "kcat -G, run %d (incl. the group join): {\"seconds\":%.3f,\"msgs_per_s\":%.0f}\n", r, e - s, n / (e - s) }'
  done
fi

// The only place librdkafka's headers are named (Debian: librdkafka-dev, pkg-config rdkafka).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

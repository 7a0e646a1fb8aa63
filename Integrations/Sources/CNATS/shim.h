// nats.c 3.4 (Debian's libnats-dev). The bare <nats.h> is a deprecated shim that warns.
#include <nats/nats.h>

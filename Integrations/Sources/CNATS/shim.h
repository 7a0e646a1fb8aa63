// nats.c 3.4 (Debian's libnats-dev). The bare <nats.h> is a deprecated shim that warns.
#include <nats/nats.h>

// nats.c exports this but leaves it out of <nats/nats.h>. natsMsg_Destroy hands each message to
// the library's collector thread and wakes that thread whenever it is idle: at tens of thousands
// of messages a second, a futex wake-up and a context switch per message, on both sides. A
// subscription's handler owns its message (natsMsg_Destroy would end in this very call, on the
// collector's thread), so MarketStreamNATS frees it in place, on the delivery thread.
void natsMsg_free(void *object);

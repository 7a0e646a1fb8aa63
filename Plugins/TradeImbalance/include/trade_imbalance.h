#ifndef TRADE_IMBALANCE_H
#define TRADE_IMBALANCE_H

#include "marketstream_plugin.h"

/* The plugin's entry point: fills the table for the "imbalance" kind. */
int32_t marketstream_plugin_entry(uint32_t host_abi_version, ms_plugin_v1 *table);

#endif

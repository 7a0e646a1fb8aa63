#ifndef PLUGIN_FIXTURE_SUPPORT_H
#define PLUGIN_FIXTURE_SUPPORT_H

#include "marketstream_plugin.h"

/* Fills `table` with a valid plugin named `name` that produces "broken" from `consumed` (one kind,
 * static storage) and does nothing; each fixture then breaks one thing. */
void fixture_fill(ms_plugin_v1 *table, const char *name, const char *const *consumed);

#endif

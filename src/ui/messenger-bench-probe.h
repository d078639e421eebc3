/* messenger-bench-probe.h: timestamps for bench/bench-app
 *
 * Does nothing unless the environment variable MESSENGER_BENCH_LOG names a
 * file; see messenger-bench-probe.c for what it records.
 */
#pragma once

#include "messenger-window.h"

G_BEGIN_DECLS

void messenger_bench_probe_attach (MessengerWindow *window);

G_END_DECLS

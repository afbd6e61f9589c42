/* signals.h — SIGINT/SIGTERM turn into a flag that long waits poll, so every
 * stage can stop, clean up and let main exit 130. */
#pragma once
#include <stdbool.h>

void signals_install(void);
bool signals_interrupted(void);
/* flock(2) that an interrupt ends: 0, -EINTR after SIGINT/SIGTERM, or
 * -errno. (No SA_RESTART: a signal ends the wait, and the flag says why.) */
int signals_flock(int fd, int op);
/* For tests: pretend a signal arrived (or clear it). */
void signals_set_interrupted(bool on);

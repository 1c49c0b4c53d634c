#ifndef ALLOCATION_COUNTING_H
#define ALLOCATION_COUNTING_H

/// 1 where allocations can be counted (Linux with glibc, not under ThreadSanitizer), 0 elsewhere.
int allocation_counting_available(void);

/// Why allocations cannot be counted here, or NULL where they can.
const char *allocation_counting_unavailable_reason(void);

/// Starts counting the calling thread's heap allocations, from 0.
void allocation_counting_start(void);

/// Stops counting on the calling thread and returns how many allocations it made since the start.
long allocation_counting_stop(void);

#endif

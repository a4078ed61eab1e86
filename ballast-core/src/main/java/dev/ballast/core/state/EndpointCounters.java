package dev.ballast.core.state;

/*
 * The two fields every request writes: in-flight count and latency EWMA. EndpointState extends these
 * classes so that the fields sit in the object itself, between 128 bytes of padding on either side
 * (two lines: Intel's adjacent-line prefetcher moves lines in pairs): one core's writes then never
 * evict the fields that every pick only reads (on any core), nor a neighbouring object's. Superclass
 * fields come first in HotSpot's layout, and these classes hold only longs, so no field of
 * EndpointState can be placed inside the padding.
 */

abstract class EndpointCountersPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class EndpointCounters extends EndpointCountersPadBefore {
    /** Requests picked and not yet released. */
    volatile long active;
    /** Latency EWMA in nanoseconds (float bits, high half) and when it was last updated (ms, low half). */
    volatile long ewma;
}

abstract class EndpointCountersPadAfter extends EndpointCounters {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

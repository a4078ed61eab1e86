package dev.ballast.proxy.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which reason a failure after the response head left is logged and counted under. */
class CutShortTest {

    @Test
    void anUpstreamsTimeoutIsATimeoutAndAnyOtherOfItsFailuresAReset() {
        assertThat(CutShort.of(ProxyError.RESPONSE_TIMEOUT, true)).isEqualTo(CutShort.UPSTREAM_TIMEOUT);
        assertThat(CutShort.of(ProxyError.UPSTREAM_RESET, true)).isEqualTo(CutShort.UPSTREAM_RESET);
    }

    @Test
    void aClientThatStallsTimesOutAndABodyOverALimitOrMalformedIsRefused() {
        assertThat(CutShort.of(ProxyError.BODY_TIMEOUT, false)).isEqualTo(CutShort.CLIENT_TIMEOUT);
        assertThat(CutShort.of(ProxyError.BODY_TOO_LARGE, false)).isEqualTo(CutShort.REQUEST_REFUSED);
        assertThat(CutShort.of(ProxyError.BAD_REQUEST, false)).isEqualTo(CutShort.REQUEST_REFUSED);
    }

    @Test
    void everyLabelIsTheNameInLowerCase() {
        for (CutShort why : CutShort.values()) {
            assertThat(why.label()).isEqualTo(why.name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}

package dev.ballast.proxy.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** What a failure looks like in a response body and a log line. */
class FailureDescriptionTest {

    @Test
    void saysWhatANativeTransportErrorMeans() {
        IOException reset = new IOException("recvAddress(..) failed with error(-104): Connection reset by peer");

        assertThat(Exchange.describe(reset)).isEqualTo("connection reset by peer");
    }

    @Test
    void escapesTheClientsBytesAndCapsTheLength() {
        IllegalArgumentException quoted = new IllegalArgumentException("invalid header name: X\r\u0000\u001b[31m" + "y".repeat(500));

        String described = Exchange.describe(quoted);

        assertThat(described).startsWith("invalid header name: X\\x0D\\x00\\x1B[31m").endsWith("...").hasSize(200);
    }

    @Test
    void namesAMalformedNumberAndAMessagelessFailure() {
        assertThat(Exchange.describe(new NumberFormatException("For input string: \"2OO\"")))
                .isEqualTo("malformed number (For input string: \"2OO\")");
        assertThat(Exchange.describe(new IOException())).isEqualTo("IOException");
    }

    @Test
    void saysANameThatDoesNotResolveInWordsNotAsAJavaClass() {
        assertThat(Exchange.describe(new java.nio.channels.UnresolvedAddressException()))
                .isEqualTo("host name not resolved");
    }
}

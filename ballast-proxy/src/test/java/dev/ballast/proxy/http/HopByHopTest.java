package dev.ballast.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HopByHopTest {

    @Test
    void removesEveryHopByHopHeaderWhateverItsCase() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("connection", "keep-alive").add("KEEP-ALIVE", "timeout=5").add("Proxy-Connection", "x")
                .add("te", "trailers").add("Trailer", "X-Sum").add("Transfer-Encoding", "chunked")
                .add("Upgrade", "h2c").add("Proxy-Authenticate", "Basic").add("proxy-authorization", "Basic eA==")
                .add("Content-Type", "text/plain").add("Date", "today");

        HopByHop.strip(headers);

        assertThat(headers.names()).containsExactlyInAnyOrder("Content-Type", "Date");
    }

    @Test
    void removesWhatConnectionListsAcrossRepeatedHeadersAndOptionalWhitespace() {
        // As the upstream side decodes them: unvalidated, so odd whitespace reaches the parser.
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders()
                .add("X-A", "1").add("Connection", " X-A ,\tTE,,x-b").add("Connection", "close")
                .add("X-B", "2").add("Close", "listed too").add("X-Keep", "3");

        HopByHop.strip(headers);

        assertThat(headers.names()).containsExactly("X-Keep");
    }

    @Test
    void leavesEndToEndHeadersAloneIncludingNamesThatOnlyLookAlike() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Host", "a").add("Connection-Id", "7").add("X-Upgrade", "no").add("Keep-Alive-Ms", "1")
                .add("Tee", "x").add("Content-Length", "0");

        HopByHop.strip(headers);

        assertThat(headers.names())
                .containsExactlyInAnyOrder("Host", "Connection-Id", "X-Upgrade", "Keep-Alive-Ms", "Tee", "Content-Length");
    }
}

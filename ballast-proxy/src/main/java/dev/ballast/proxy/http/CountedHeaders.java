package dev.ballast.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.TooLongHttpHeaderException;

/**
 * A request's header fields as the decoder reads them, refused past {@code max_header_count}
 * ({@link TooLongHttpHeaderException}, so the client gets 431 and the rest of the head is not read).
 * {@code max_header_size} alone does not bound them: it counts characters, and a 16 KiB head of
 * {@code a:} lines is 8,000 fields, close to a megabyte of heap each, held while a slow client sends
 * it. Once the head is read ({@link #decoded()}) the proxy's own additions are not counted.
 */
final class CountedHeaders extends DefaultHttpHeaders {

    private static final DefaultHttpHeadersFactory VALIDATING = DefaultHttpHeadersFactory.headersFactory();

    private final int max;
    private boolean decoding = true;

    private CountedHeaders(int max, int sizeHint) {
        super(VALIDATING.getNameValidator(), VALIDATING.getValueValidator(), sizeHint);
        this.max = max;
    }

    /** Headers of at most {@code max} fields for the decoder; trailers start at their smallest. */
    static HttpHeadersFactory factory(int max) {
        return new HttpHeadersFactory() {
            @Override
            public HttpHeaders newHeaders() {
                return new CountedHeaders(max, 16);
            }

            @Override
            public HttpHeaders newEmptyHeaders() {
                return new CountedHeaders(max, 2);
            }
        };
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        if (decoding && size() >= max) {
            throw new TooLongHttpHeaderException("more than " + max + " header fields (max_header_count)");
        }
        return super.add(name, value);
    }

    /** The head (or trailer) is read: what the proxy adds from now on is not the client's. */
    void decoded() {
        decoding = false;
    }
}

package dev.ballast.proxy.http;

import dev.ballast.core.state.EndpointState;
import dev.ballast.proxy.route.Route;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/**
 * What one request did: who asked for what, where it went and how it ended. Filled in by the
 * frontend and the exchange on the client's event loop, then handed to the {@link RequestObserver}
 * once the request is over.
 *
 * <p>One instance per client connection is reused for each of its requests (they are served one at
 * a time), so recording costs no allocation. Observers must therefore read it during
 * {@link RequestObserver#completed} and keep nothing.
 */
public final class RequestRecord {

    /** Status recorded when the client hung up before its response was complete (nginx's 499). */
    public static final int CLIENT_CLOSED = 499;
    /**
     * Status recorded when the proxy closed the connection before any answer: at shutdown once
     * {@code drain_timeout} ran out, or after an unexpected error (nginx's 444, closed without a response).
     */
    public static final int CLOSED_WITHOUT_RESPONSE = 444;

    private String client = "-";
    private long startNanos;
    private long durationNanos;
    private String method;
    private String uri;
    private HttpRequest request;
    private Route route;
    private EndpointState endpoint;
    private int attempts;
    private int status;
    private long bytesIn;
    private long bytesOut;
    private AsciiString traceparent;
    private String incomingTraceparent;
    private String requestId;
    private CutShort cutShort;
    private boolean open;

    RequestRecord() {
    }

    /** A request head arrived (or a request is answered before one did: then method and uri are "-"). */
    void begin(String clientIp, String method, String uri, long nowNanos) {
        this.client = clientIp;
        this.method = method;
        this.uri = uri;
        this.startNanos = nowNanos;
        this.durationNanos = 0;
        this.request = null;
        this.route = null;
        this.endpoint = null;
        this.attempts = 0;
        this.status = 0;
        this.bytesIn = 0;
        this.bytesOut = 0;
        this.traceparent = null;
        this.incomingTraceparent = null;
        this.requestId = null;
        this.cutShort = null;
        this.open = true;
    }

    void request(HttpRequest head) {
        this.request = head;
    }

    void route(Route matched) {
        this.route = matched;
    }

    void picked(EndpointState picked, int attempt) {
        this.endpoint = picked;
        this.attempts = attempt;
    }

    /**
     * The endpoint picked last got nothing: a limit of the proxy's turned the request away before it was
     * sent. Its answer is then the proxy's, not counted against that endpoint (metrics, {@code /status}).
     */
    void sentNowhere() {
        this.endpoint = null;
    }

    void status(int code) {
        this.status = code;
    }

    void bytesIn(long bytes) {
        this.bytesIn = bytes;
    }

    void addBytesOut(long bytes) {
        this.bytesOut += bytes;
    }

    void traceparent(AsciiString value) {
        this.traceparent = value;
    }

    void incomingTraceparent(String value) {
        this.incomingTraceparent = value;
    }

    void requestId(String value) {
        this.requestId = value;
    }

    /** The response was broken off after its head left; the first cause found is the one kept. */
    void cutShort(CutShort why) {
        if (cutShort == null) {
            cutShort = why;
        }
    }

    boolean isOpen() {
        return open;
    }

    /** Ends the request; false when it had ended already (so it is reported once). */
    boolean end(long nowNanos) {
        if (!open) {
            return false;
        }
        open = false;
        durationNanos = nowNanos - startNanos;
        return true;
    }

    // ---- read by observers ----

    public String client() {
        return client;
    }

    public String method() {
        return method;
    }

    /** The request target as the client sent it (path and query). */
    public String uri() {
        return uri;
    }

    /** The {@code User-Agent} header, or null. */
    public String userAgent() {
        return request == null ? null : request.headers().get(HttpHeaderNames.USER_AGENT);
    }

    /** The route that matched, or null when none did (or the request was refused before routing). */
    public Route route() {
        return route;
    }

    /** The endpoint of the last attempt, or null when none was picked, or the last one was sent nothing. */
    public EndpointState endpoint() {
        return endpoint;
    }

    /** Endpoints tried (picks), 0 when the request never reached the balancer. */
    public int attempts() {
        return attempts;
    }

    /** The status sent to the client, or {@link #CLIENT_CLOSED} or {@link #CLOSED_WITHOUT_RESPONSE}. */
    public int status() {
        return status;
    }

    /** Why the response stopped before its end after its head was sent, or null when it was sent whole. */
    public CutShort cutShort() {
        return cutShort;
    }

    /** Request body bytes read from the client. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Response body bytes written to the client. */
    public long bytesOut() {
        return bytesOut;
    }

    public long durationNanos() {
        return durationNanos;
    }

    /** The {@code traceparent} sent upstream, or null when the request never got that far. */
    public AsciiString traceparent() {
        return traceparent;
    }

    /** The 32 hex digits of the trace id sent upstream, or null when the request never got that far. */
    public CharSequence traceId() {
        return traceparent == null ? null : TraceContext.traceId(traceparent);
    }

    /**
     * The client's valid {@code traceparent}, or null when it sent none (or an invalid one). Known for
     * a request the proxy answered itself too, whose head went nowhere.
     */
    public String incomingTraceparent() {
        if (traceparent == null && request != null) {
            return TraceContext.validIncoming(request.headers());
        }
        return incomingTraceparent;
    }

    /**
     * The client's {@code X-Request-Id} when it was usable, whether the request went upstream or was
     * answered by the proxy; null when it sent none or an unusable one, and the request id sent
     * upstream, if it went, is then the trace id of {@link #traceparent()}.
     */
    public String requestId() {
        if (traceparent == null && request != null) {
            return TraceContext.usableRequestId(request.headers());
        }
        return requestId;
    }
}

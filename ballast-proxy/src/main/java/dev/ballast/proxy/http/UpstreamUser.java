package dev.ballast.proxy.http;

/**
 * What owns an upstream connection while a request is on it, as its {@link BackendHandler} sees it:
 * a client's {@link Exchange}, or a {@link MirrorExchange} whose answer nobody waits for. Called on
 * the connection's event loop.
 */
interface UpstreamUser {

    /** A decoded response message (head, body part or end); the callee releases it. */
    void responseMessage(Object msg);

    /** The upstream's read burst ended. */
    void backendReadComplete();

    /** The connection can take writes again. */
    void backendWritable();

    /** The connection closed or failed; {@code cause} is null for a plain close. */
    void backendClosed(Throwable cause);

    /** No response head within the timeout set by {@link BackendHandler#awaitResponse}. */
    void responseTimedOut();

    /** No byte of the response body for the idle timeout set by {@link BackendHandler#awaitBody}. */
    void responseStalled();

    /** True while the response is wanted as fast as it comes (false: the client holds it back). */
    boolean readingResponse();
}

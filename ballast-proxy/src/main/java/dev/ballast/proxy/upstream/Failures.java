package dev.ballast.proxy.upstream;

import io.netty.channel.ChannelException;

import java.net.ConnectException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;

/** What went wrong on a connection, in words a user reads in an error body, a log line or an event. */
public final class Failures {

    private Failures() {
    }

    /**
     * The failure's message, with a native transport error reduced to the system's own words: {@code
     * connection refused} rather than {@code finishConnect(..) failed with error(-111): Connection
     * refused}. Not escaped: callers that quote it to a client escape it.
     */
    public static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        if (cause instanceof ChannelException && cause.getCause() != null) {
            // "Unable to create Channel from class ...", around a reflective call: the innermost cause says why
            Throwable root = cause.getCause();
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return describe(root);
        }
        if (cause instanceof UnresolvedAddressException) {
            return "host name not resolved"; // the endpoint's name has no address yet (dns_refresh retries)
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        if (cause instanceof NumberFormatException) {
            return "malformed number (" + message + ")";
        }
        if (cause instanceof ConnectException) {
            // Netty appends the address it tried ("...: /10.0.0.7:9001"); every caller names the endpoint.
            int address = message.lastIndexOf(": /");
            if (address > 0) {
                message = message.substring(0, address);
            }
        }
        int nativeError = message.indexOf(") failed with error(");
        if (nativeError > 0 && message.indexOf("): ", nativeError + 20) > 0) {
            return message.substring(message.indexOf("): ", nativeError + 20) + 3).toLowerCase(Locale.ROOT);
        }
        return message;
    }
}

package dev.ballast.proxy.config;

/** A bind address: {@code host:port}, IPv6 in brackets; port 0 asks the OS for a free port (tests). */
public record HostPort(String host, int port) {

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

package dev.ballast.proxy;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a SIGHUP goes from before the proxy runs: a start can take a while (discovery waits up to
 * {@code etcd.timeout} for its first read), and SIGHUP's default action would end the JVM. One asked
 * for while the proxy starts is made once it runs, once however many came.
 */
final class StartupReload implements Runnable {

    private final AtomicReference<ProxyServer> running = new AtomicReference<>();
    private final AtomicBoolean askedWhileStarting = new AtomicBoolean();

    /** A SIGHUP: reload now, or once the proxy runs. */
    @Override
    public void run() {
        ProxyServer proxy = running.get();
        if (proxy != null) {
            proxy.reload("SIGHUP");
            return;
        }
        askedWhileStarting.set(true);
        reloadIfAsked(running.get()); // it may have started since it was read: exactly one side reloads
    }

    /** The proxy runs: from now on a SIGHUP reloads it, and one that came while it started does now. */
    void started(ProxyServer proxy) {
        running.set(proxy);
        reloadIfAsked(proxy);
    }

    private void reloadIfAsked(ProxyServer proxy) {
        if (proxy != null && askedWhileStarting.getAndSet(false)) {
            proxy.reload("SIGHUP during start");
        }
    }
}

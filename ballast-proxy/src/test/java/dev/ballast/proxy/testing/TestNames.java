package dev.ballast.proxy.testing;

import io.netty.util.NetUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * How the proxy tests resolve names, with no DNS server: from a hosts file the tests may rewrite
 * ({@value #HOSTS_FILE_PROPERTY}, set by the pom; read at every lookup, and the JDK caches nothing in
 * the tests), and names ending in {@value #HELD_SUFFIX} resolve to 127.0.0.1 only once a test lets
 * them ({@link #hold()}), as a lookup to a resolver that does not answer takes its time. Any other
 * name does not resolve. A resolver service rather than {@code jdk.net.hosts.file}, which would
 * switch resolver services off.
 */
public final class TestNames extends InetAddressResolverProvider {

    /** The system property naming the hosts file. */
    public static final String HOSTS_FILE_PROPERTY = "ballast.test.hosts.file";
    /** Names ending so are held until {@link Hold#release()}. */
    public static final String HELD_SUFFIX = ".held.test";

    private static volatile Hold current = Hold.released();

    /** The hosts file, or null outside the pom's test run. */
    public static Path hostsFile() {
        String file = System.getProperty(HOSTS_FILE_PROPERTY);
        return file == null ? null : Path.of(file);
    }

    /**
     * Holds every lookup of a held name from now until the hold is released (or closed); one still
     * held after 10 s fails, as one to a resolver that never answers does.
     */
    public static Hold hold() {
        Hold hold = new Hold();
        current = hold;
        return hold;
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (host.toLowerCase(Locale.ROOT).endsWith(HELD_SUFFIX)) {
                    if (!current.await()) {
                        throw new UnknownHostException(host + ": no answer (held, and not let through)");
                    }
                    return Stream.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}));
                }
                List<InetAddress> found = new ArrayList<>();
                for (String[] line : lines()) {
                    for (int i = 1; i < line.length; i++) {
                        if (line[i].equalsIgnoreCase(host)) {
                            found.add(InetAddress.getByAddress(host, NetUtil.createByteArrayFromIpAddressString(line[0])));
                        }
                    }
                }
                List<InetAddress> answer = ordered(found, policy.characteristics());
                if (answer.isEmpty()) {
                    throw new UnknownHostException(host + ": not in the tests' hosts file");
                }
                return answer.stream();
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                for (String[] line : lines()) {
                    if (line.length > 1 && Arrays.equals(NetUtil.createByteArrayFromIpAddressString(line[0]), address)) {
                        return line[1];
                    }
                }
                throw new UnknownHostException("not in the tests' hosts file");
            }
        };
    }

    /** As the JDK's hosts-file resolver orders them: the families asked for, file order unless one should come first. */
    private static List<InetAddress> ordered(List<InetAddress> found, int characteristics) {
        boolean ipv4 = (characteristics & InetAddressResolver.LookupPolicy.IPV4) != 0;
        boolean ipv6 = (characteristics & InetAddressResolver.LookupPolicy.IPV6) != 0;
        List<InetAddress> wanted = new ArrayList<>(found.stream()
                .filter(address -> address instanceof Inet4Address ? ipv4 : ipv6).toList());
        if ((characteristics & InetAddressResolver.LookupPolicy.IPV4_FIRST) != 0) {
            wanted.sort(Comparator.comparing(address -> !(address instanceof Inet4Address)));
        } else if ((characteristics & InetAddressResolver.LookupPolicy.IPV6_FIRST) != 0) {
            wanted.sort(Comparator.comparing(address -> !(address instanceof Inet6Address)));
        }
        return wanted;
    }

    /** The hosts file's entries: an address, then its names; comments and blank lines left out. */
    private static List<String[]> lines() {
        Path file = hostsFile();
        if (file == null) {
            return List.of();
        }
        try {
            List<String[]> entries = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                int comment = line.indexOf('#');
                String[] fields = (comment >= 0 ? line.substring(0, comment) : line).trim().split("\\s+");
                if (fields.length > 1 && (NetUtil.isValidIpV4Address(fields[0]) || NetUtil.isValidIpV6Address(fields[0]))) {
                    entries.add(fields);
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "ballast-test-names";
    }

    /** Lookups of held names wait on this until it is released. */
    public static final class Hold implements AutoCloseable {

        private final CountDownLatch started = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicInteger lookups = new AtomicInteger();

        private static Hold released() {
            Hold hold = new Hold();
            hold.release();
            return hold;
        }

        /** True when let through, false when still held after 10 s or interrupted. */
        private boolean await() {
            lookups.incrementAndGet();
            started.countDown();
            try {
                return released.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** How many lookups of held names were made under this hold. */
        public int lookups() {
            return lookups.get();
        }

        /** True once a lookup of a held name is waiting (or went through), within {@code seconds}. */
        public boolean lookupStarted(long seconds) throws InterruptedException {
            return started.await(seconds, TimeUnit.SECONDS);
        }

        public void release() {
            released.countDown();
        }

        @Override
        public void close() {
            release();
        }
    }
}

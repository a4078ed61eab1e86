package dev.ballast.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Threads' scheduler slices as the kernel reports them in {@code /proc} ({@code se.slice}), read
 * independently of the proxy's own calls.
 */
public final class KernelSlices {

    private static final Pattern SLICE = Pattern.compile("(?m)^se\\.slice\\s*:\\s*(\\d+)$");
    private static final Pattern KERNEL = Pattern.compile("^(\\d+)\\.(\\d+)");

    private KernelSlices() {
    }

    /**
     * Whether event loops here can ask for a slice of their own and the test can read it back: Linux
     * 6.12 or later, on an architecture the calls are known for, Java 22 or later to make them, and
     * {@link #readable()}.
     */
    public static boolean available() {
        if (Runtime.version().feature() < 22 || !readable()
                || !List.of("amd64", "x86_64", "aarch64", "riscv64").contains(System.getProperty("os.arch"))) {
            return false;
        }
        Matcher version = KERNEL.matcher(System.getProperty("os.version", ""));
        return version.find() && (Integer.parseInt(version.group(1)) > 6
                || Integer.parseInt(version.group(1)) == 6 && Integer.parseInt(version.group(2)) >= 12);
    }

    /** Whether the kernel shows threads' slices ({@code se.slice}: Linux 6.14, or a backport, with SCHED_DEBUG). */
    public static boolean readable() {
        try {
            return SLICE.matcher(Files.readString(Path.of("/proc/thread-self/sched"))).find();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The calling thread's slice in nanoseconds. */
    public static long ofCurrentThread() {
        return read(Path.of("/proc/thread-self/sched"));
    }

    /** The slices, in nanoseconds, of this process's threads whose kernel name starts with {@code prefix}. */
    public static List<Long> ofThreadsNamed(String prefix) {
        List<Long> slices = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith(prefix)) {
                        slices.add(read(task.resolve("sched")));
                    }
                } catch (IOException | UncheckedIOException gone) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return slices;
    }

    private static long read(Path sched) {
        try {
            Matcher slice = SLICE.matcher(Files.readString(sched));
            if (!slice.find()) {
                throw new IllegalStateException(sched + " has no se.slice line");
            }
            return Long.parseLong(slice.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.ballast.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Files that are not regular files, for the tests of what refuses them. */
public final class TestFiles {

    private TestFiles() {
    }

    /** A named pipe at {@code path} with no writer: opening it to read would wait for ever. */
    public static Path pipe(Path path) throws IOException, InterruptedException {
        Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
        if (!mkfifo.waitFor(10, TimeUnit.SECONDS) || mkfifo.exitValue() != 0) {
            mkfifo.destroyForcibly();
            throw new IOException("mkfifo " + path + " failed: " + new String(mkfifo.getInputStream().readAllBytes()));
        }
        return path;
    }
}

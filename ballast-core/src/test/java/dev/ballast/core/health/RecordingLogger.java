package dev.ballast.core.health;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.io.Serial;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An SLF4J logger that keeps every event, so tests can assert what was logged and how often. */
public final class RecordingLogger extends LegacyAbstractLogger {

    @Serial
    private static final long serialVersionUID = 1L;

    /** One logged line, formatted. */
    public record Event(Level level, String message) {
    }

    private final transient List<Event> events = new CopyOnWriteArrayList<>();

    public RecordingLogger() {
        this.name = "recording";
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    /** Events at {@code level} whose message contains every one of {@code parts}. */
    public List<Event> matching(Level level, String... parts) {
        return events.stream()
                .filter(e -> e.level() == level)
                .filter(e -> {
                    for (String part : parts) {
                        if (!e.message().contains(part)) {
                            return false;
                        }
                    }
                    return true;
                })
                .toList();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable throwable) {
        events.add(new Event(level, MessageFormatter.basicArrayFormat(pattern, arguments)));
    }

    @Override
    public boolean isTraceEnabled() {
        return true;
    }

    @Override
    public boolean isDebugEnabled() {
        return true;
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }
}

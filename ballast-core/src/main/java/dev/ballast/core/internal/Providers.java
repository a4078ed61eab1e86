package dev.ballast.core.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Predicate;

/**
 * Finds a provider of an SPI through {@link ServiceLoader}: first with the SPI's own class loader,
 * then with the thread's context loader (where the core sits in a parent loader and the module in a
 * child, as in an application server). A provider that cannot be loaded is skipped with a log line,
 * so one broken jar on the class path does not hide the others or fail a configuration check.
 */
public final class Providers {

    private static final Logger log = LoggerFactory.getLogger(Providers.class);

    private Providers() {
    }

    public static <T> Optional<T> find(Class<T> spi, Predicate<T> wanted) {
        ClassLoader own = spi.getClassLoader();
        Optional<T> found = find(spi, wanted, own);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (found.isEmpty() && context != null && context != own) {
            found = find(spi, wanted, context);
        }
        return found;
    }

    private static <T> Optional<T> find(Class<T> spi, Predicate<T> wanted, ClassLoader loader) {
        Iterator<T> providers = ServiceLoader.load(spi, loader).iterator();
        while (true) {
            T provider;
            try {
                if (!providers.hasNext()) {
                    return Optional.empty();
                }
                provider = providers.next();
            } catch (ServiceConfigurationError e) {
                log.warn("skipping a provider of {} that cannot be loaded: {}", spi.getSimpleName(), e.getMessage());
                continue;
            }
            if (wanted.test(provider)) {
                return Optional.of(provider);
            }
        }
    }
}

package dev.ballast.core.pick;

/**
 * A balancing algorithm, known by its configuration {@link #id()}. Builds a {@link Picker} over a
 * snapshot; the picker may precompute anything (tables, rings, schedules) since a snapshot never
 * changes.
 */
public interface Policy {

    /** The id used in configuration, e.g. {@code round-robin}. */
    String id();

    /**
     * A picker over {@code endpoints}, which is never empty. Called on the control path, once per
     * snapshot.
     */
    Picker newPicker(EndpointSet endpoints);
}

package dev.conveyor.store.db;

import dev.conveyor.schema.TaskKind;
import org.jooq.impl.AbstractConverter;

/** Maps the {@code tasks.kind} column to {@link TaskKind}; used by the generated jOOQ classes. */
public final class TaskKindConverter extends AbstractConverter<String, TaskKind> {

    private static final long serialVersionUID = 1L;

    public TaskKindConverter() {
        super(String.class, TaskKind.class);
    }

    @Override
    public TaskKind from(String databaseObject) {
        return databaseObject == null ? null : TaskKind.fromWire(databaseObject);
    }

    @Override
    public String to(TaskKind userObject) {
        return userObject == null ? null : userObject.wireName();
    }
}

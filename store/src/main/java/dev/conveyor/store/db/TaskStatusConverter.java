package dev.conveyor.store.db;

import dev.conveyor.schema.TaskStatus;
import org.jooq.impl.AbstractConverter;

/** Maps the {@code status} text columns to {@link TaskStatus}; used by the generated jOOQ classes. */
public final class TaskStatusConverter extends AbstractConverter<String, TaskStatus> {

    private static final long serialVersionUID = 1L;

    public TaskStatusConverter() {
        super(String.class, TaskStatus.class);
    }

    @Override
    public TaskStatus from(String databaseObject) {
        return databaseObject == null ? null : TaskStatus.fromWire(databaseObject);
    }

    @Override
    public String to(TaskStatus userObject) {
        return userObject == null ? null : userObject.wireName();
    }
}

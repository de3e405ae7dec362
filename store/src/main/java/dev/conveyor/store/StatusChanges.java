package dev.conveyor.store;

import java.util.List;
import java.util.function.Predicate;

/** Checks that a batch given to one transition of {@link StatusStore} holds only that transition's changes. */
final class StatusChanges {

    private StatusChanges() {}

    static void requireAll(List<StatusChange> changes, String method, String kind, Predicate<StatusChange> fits) {
        for (StatusChange c : changes) {
            if (!fits.test(c)) {
                throw new IllegalArgumentException(method + " takes " + kind + " changes only, not " + c);
            }
        }
    }
}

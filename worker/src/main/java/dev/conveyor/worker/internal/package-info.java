/**
 * The worker's machinery, cut along a record's path.
 *
 * <p>Poll thread: {@code GroupConsumption} (the consumer loop, behind {@code TaskConsumption};
 * partitions moving are the {@code Rebalance}'s, giving them up the {@code Handover}'s, pausing the
 * {@code FlowControl}'s) → {@code OffsetLedger} → {@code Dispatcher} (claims in
 * {@code AttemptClaims}, the {@code HoldQueue}, the {@code Router}'s decision) →
 * {@code WriteAheadGate} → {@code ExecutionStarter}.
 *
 * <p>Execution threads: {@code TaskExecutor}: {@code Guard} → {@code Invoker} → {@code Normalizer}
 * → {@code Handoff}. Invoke and normalize know nothing of the store or of Kafka: they live in
 * {@code dev.conveyor.worker.execution} (module {@code conveyor-api}) with the topic's
 * {@code ExecutionPlan}, and the extension test kit runs the same two steps.
 *
 * <p>Completer threads: {@code Completer} ({@code StatusWriter}, then the side records of
 * {@code DeadLetterer} and {@code TransitionTracer}, acknowledged by {@code AcknowledgedSends}),
 * back to the poll thread through {@code Settlements}. Interactive answers leave at once through
 * {@code InteractiveReplier}.
 *
 * <p>What crosses threads is immutable ({@code Execution}, {@code Execution.Ended}) or owned by one
 * part ({@code RunningMarks}, the gate's counters, {@code Settlements}' queues).
 */
package dev.conveyor.worker.internal;

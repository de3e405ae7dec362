/** The outbox delivery loop the scheduler runs; not part of the public surface. */
package dev.conveyor.worker.outbound.internal;

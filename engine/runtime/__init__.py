"""The event runtime: `Engine` (events in, in time order; decisions out), the event models, the
facts a rule reads, time windows, and a policy's own `test` blocks."""

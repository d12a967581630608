import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus series a service exports (SPEC section 9). No label holds an unbounded value. */
export class Metrics {
  readonly registry = new Registry();

  readonly events = new Counter({
    name: 'handover_events_total',
    help: 'Scan events consumed, by type and result (applied, duplicate, orphan, dead_letter).',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: 'handover_dead_letters_total',
    help: 'Scan messages sent to the dead-letter topic, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly applySeconds = new Histogram({
    name: 'handover_apply_seconds',
    help: 'From the Kafka message timestamp to the ledger change acknowledged by Redis.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly rewinds = new Counter({
    name: 'handover_ledger_rewinds_total',
    help: 'Times the consumer rewound partitions to the offsets kept in Redis (Redis lost writes, or restarted).',
    registers: [this.registry],
  });

  readonly alerts = new Counter({
    name: 'handover_alerts_total',
    help: 'Alert revisions published, by kind and status.',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly alertDelaySeconds = new Histogram({
    name: 'handover_alert_delay_seconds',
    help: 'From the moment an alert condition became true to the alert revision committed on Kafka.',
    buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly summaries = new Counter({
    name: 'handover_shift_summaries_total',
    help: 'Shift-close summary revisions published.',
    registers: [this.registry],
  });

  constructor(withDefaults = true) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
  }
}

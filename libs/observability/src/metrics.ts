import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

import {
  AlertKind,
  AlertStatus,
  DeadLetterReason,
  FeedbackEvent,
  HandoverEvent,
  ReceiptEvent,
} from '@app/contracts';

/** The service whose series a registry exports; each series of SPEC section 9 has one owner. */
export type MetricsOwner = 'ledger' | 'watch' | 'api' | 'notifier' | 'lag';

const SCAN_TYPES = [HandoverEvent, ReceiptEvent, FeedbackEvent].map((schema) => schema.shape.type.value);
/** what the ledger makes of a parsed scan (a re-delivered offset, skipped, is not counted) */
const SCAN_RESULTS = ['applied', 'duplicate', 'orphan'] as const;

/**
 * The Prometheus series of the services (SPEC section 9). No label holds an unbounded value. Every
 * series is declared here so that code can count without knowing who exports it, but a registry holds
 * only its owner's series, with their known label values at 0, so that a dashboard or an alert rule
 * sees a series from the start rather than only after its first event.
 */
export class Metrics {
  readonly registry = new Registry();

  // ledger

  readonly events = new Counter({
    name: 'handover_events_total',
    help: 'Scan events consumed, by type and result (applied, duplicate, orphan, dead_letter).',
    labelNames: ['type', 'result'] as const,
    registers: [],
  });

  readonly deadLetters = new Counter({
    name: 'handover_dead_letters_total',
    help: 'Scan messages sent to the dead-letter topic, by reason.',
    labelNames: ['reason'] as const,
    registers: [],
  });

  readonly applySeconds = new Histogram({
    name: 'handover_apply_seconds',
    help: 'From the Kafka message timestamp to the ledger change acknowledged by Redis.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [],
  });

  readonly rewinds = new Counter({
    name: 'handover_ledger_rewinds_total',
    help: 'Times the consumer rewound partitions to the offsets kept in Redis (Redis lost writes, or restarted).',
    registers: [],
  });

  // watch

  readonly alerts = new Counter({
    name: 'handover_alerts_total',
    help: 'Alert revisions published, by kind and status.',
    labelNames: ['kind', 'status'] as const,
    registers: [],
  });

  readonly alertDelaySeconds = new Histogram({
    name: 'handover_alert_delay_seconds',
    help: 'From the moment an alert condition became true to the alert revision committed on Kafka.',
    buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60],
    registers: [],
  });

  readonly summaries = new Counter({
    name: 'handover_shift_summaries_total',
    help: 'Shift-close summary revisions published.',
    registers: [],
  });

  readonly openHandOffs = new Gauge({
    name: 'handover_open_handoffs',
    help:
      'Hand-offs open in the shifts not yet closed of the facilities this watch instance holds, counted ' +
      'every WATCH_OPEN_HANDOFFS_SECONDS; sum over the instances for the network.',
    registers: [],
  });

  // notifier: alert and summary deliveries to subscribers (SPEC section 6)

  readonly deliveries = new Counter({
    name: 'handover_deliveries_total',
    help: 'Deliveries of alerts and summaries to subscribers, by channel and result.',
    labelNames: ['channel', 'result'] as const,
    registers: [],
  });

  constructor(
    readonly owner: MetricsOwner,
    { defaults = true }: { defaults?: boolean } = {},
  ) {
    const owned: Record<MetricsOwner, Metric[]> = {
      ledger: [this.events, this.deadLetters, this.applySeconds, this.rewinds],
      watch: [this.alerts, this.alertDelaySeconds, this.summaries, this.openHandOffs],
      api: [],
      notifier: [this.deliveries],
      lag: [],
    };
    for (const metric of owned[owner]) this.registry.registerMetric(metric);
    if (owner === 'ledger') {
      for (const type of SCAN_TYPES)
        for (const result of SCAN_RESULTS) this.events.labels({ type, result }).inc(0);
      // a message that is dead-lettered may not have a type one can trust
      this.events.labels({ type: 'unknown', result: 'dead_letter' }).inc(0);
      for (const reason of DeadLetterReason.options) this.deadLetters.labels({ reason }).inc(0);
    }
    if (owner === 'watch') {
      for (const kind of AlertKind.options)
        for (const status of AlertStatus.options) this.alerts.labels({ kind, status }).inc(0);
    }
    // deliveries: the channels and results are initialised by the sender, which comes with subscriptions
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}

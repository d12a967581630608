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

  readonly retries = new Counter({
    name: 'handover_ledger_retries_total',
    help: 'Failed tries of a step of the ledger consumer that was retried after a backoff (step: apply, dead-letter).',
    labelNames: ['step'] as const,
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

  // api

  readonly httpRequestSeconds = new Histogram({
    name: 'handover_api_request_seconds',
    help: 'HTTP API requests, by method, route template and status class (2xx, 4xx, 5xx); the alert stream is not timed.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [],
  });

  readonly sseClients = new Gauge({
    name: 'handover_api_sse_clients',
    help: 'Open GET /api/v1/alerts/stream connections of this API instance.',
    registers: [],
  });

  readonly viewMessages = new Counter({
    name: 'handover_api_view_messages_total',
    help: 'Alert and summary revisions the API consumed into its views, by view and result (applied, stale, invalid).',
    labelNames: ['view', 'result'] as const,
    registers: [],
  });

  // lag monitor (SPEC section 8): one series per sampled group and partition

  readonly consumerGroupLag = new Gauge({
    name: 'kafka_consumergroup_lag',
    help: 'Messages between the log end and the committed offset of a consumer group, per partition.',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [],
  });

  readonly consumerGroupLagSeconds = new Gauge({
    name: 'kafka_consumergroup_lag_seconds',
    help:
      'Age of the oldest unconsumed message of a consumer group, per partition, estimated from the ' +
      'sampled log end offsets (interpolated between samples).',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [],
  });

  readonly consumerGroupStatus = new Gauge({
    name: 'kafka_consumergroup_status',
    help: 'Lag status of a consumer group over the sliding window: 1 for the current status (OK, WARN, STALL, STOP), 0 for the others.',
    labelNames: ['group', 'status'] as const,
    registers: [],
  });

  readonly consumerGroupMembers = new Gauge({
    name: 'kafka_consumergroup_members',
    help: 'Live members of a consumer group at the last sample.',
    labelNames: ['group'] as const,
    registers: [],
  });

  readonly lagSamples = new Counter({
    name: 'handover_lag_samples_total',
    help: 'Samples of the consumer groups taken by the active lag monitor, by result (ok, failed).',
    labelNames: ['result'] as const,
    registers: [],
  });

  readonly lagLastSampleSeconds = new Gauge({
    name: 'handover_lag_last_sample_timestamp_seconds',
    help: 'Unix time of the last sample the lag monitor took or, before its first one, read back from Redis.',
    registers: [],
  });

  // notifier: alert and summary deliveries to subscribers (SPEC section 6)

  readonly deliveries = new Counter({
    name: 'handover_deliveries_total',
    help: 'Deliveries of alerts and summaries to subscribers, by channel and result.',
    labelNames: ['channel', 'result'] as const,
    registers: [],
  });

  readonly deliveriesEnqueued = new Counter({
    name: 'handover_notifier_enqueued_total',
    help: 'Alert and summary revisions queued for a subscriber (once per revision and subscription), by channel.',
    labelNames: ['channel'] as const,
    registers: [],
  });

  readonly pendingDeliveries = new Gauge({
    name: 'handover_notifier_pending_deliveries',
    help: 'Deliveries queued in Redis and not yet acknowledged by their receiver, over every subscription.',
    registers: [],
  });

  readonly failingSubscriptions = new Gauge({
    name: 'handover_notifier_failing_subscriptions',
    help: 'Subscriptions whose last delivery attempt failed (their receiver is down or refuses).',
    registers: [],
  });

  constructor(
    readonly owner: MetricsOwner,
    { defaults = true }: { defaults?: boolean } = {},
  ) {
    const owned: Record<MetricsOwner, Metric[]> = {
      ledger: [this.events, this.deadLetters, this.applySeconds, this.rewinds, this.retries],
      watch: [this.alerts, this.alertDelaySeconds, this.summaries, this.openHandOffs],
      api: [this.httpRequestSeconds, this.sseClients, this.viewMessages],
      notifier: [this.deliveries, this.deliveriesEnqueued, this.pendingDeliveries, this.failingSubscriptions],
      lag: [
        this.consumerGroupLag,
        this.consumerGroupLagSeconds,
        this.consumerGroupStatus,
        this.consumerGroupMembers,
        this.lagSamples,
        this.lagLastSampleSeconds,
        this.alerts,
      ],
    };
    for (const metric of owned[owner]) this.registry.registerMetric(metric);
    if (owner === 'ledger') {
      for (const type of SCAN_TYPES)
        for (const result of SCAN_RESULTS) this.events.labels({ type, result }).inc(0);
      // a message that is dead-lettered may not have a type one can trust
      this.events.labels({ type: 'unknown', result: 'dead_letter' }).inc(0);
      for (const reason of DeadLetterReason.options) this.deadLetters.labels({ reason }).inc(0);
      for (const step of ['apply', 'dead-letter']) this.retries.labels({ step }).inc(0);
    }
    if (owner === 'watch') {
      for (const kind of AlertKind.options)
        for (const status of AlertStatus.options) this.alerts.labels({ kind, status }).inc(0);
    }
    if (owner === 'api') {
      for (const view of ['alerts', 'summaries'])
        for (const result of ['applied', 'stale', 'invalid'])
          this.viewMessages.labels({ view, result }).inc(0);
    }
    if (owner === 'lag') {
      for (const result of ['ok', 'failed']) this.lagSamples.labels({ result }).inc(0);
      for (const status of AlertStatus.options) this.alerts.labels({ kind: 'CONSUMER_LAG', status }).inc(0);
    }
    // deliveries: the channels and results are initialised by the sender, which comes with subscriptions
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}

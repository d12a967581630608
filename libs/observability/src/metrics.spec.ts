import { Metrics } from './metrics';

const sampleNames = async (metrics: Metrics) =>
  new Set(
    (await metrics.registry.metrics())
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(/[{ ]/)[0]),
  );

describe('the metrics of a service', () => {
  it('holds the ledger series of SPEC section 9, its counters at 0 for every known label value', async () => {
    const text = await new Metrics('ledger', { defaults: false }).registry.metrics();
    expect(text).toContain('handover_events_total{type="HANDOVER",result="applied"} 0');
    expect(text).toContain('handover_events_total{type="FEEDBACK",result="orphan"} 0');
    expect(text).toContain('handover_events_total{type="RECEIPT",result="duplicate"} 0');
    expect(text).toContain('handover_events_total{type="unknown",result="dead_letter"} 0');
    expect(text).toContain('handover_dead_letters_total{reason="INVALID_JSON"} 0');
    expect(text).toContain('handover_dead_letters_total{reason="OVERSIZE"} 0');
    expect(text).toContain('handover_apply_seconds_count 0');
    expect(text).not.toContain('handover_alerts_total');
    expect(text).not.toContain('handover_open_handoffs');
  });

  it('holds the watch series, every alert kind and status at 0, and the open hand-offs gauge', async () => {
    const text = await new Metrics('watch', { defaults: false }).registry.metrics();
    expect(text).toContain('handover_alerts_total{kind="CONSUMER_LAG",status="FIRING"} 0');
    expect(text).toContain('handover_alerts_total{kind="SHIFT_UNBALANCED",status="RESOLVED"} 0');
    expect(text).toContain('handover_alert_delay_seconds_count 0');
    expect(text).toContain('handover_open_handoffs 0');
    expect(text).not.toContain('handover_events_total');
  });

  it('declares the deliveries counter for the notifier, which delivers to subscribers', async () => {
    const text = await new Metrics('notifier', { defaults: false }).registry.metrics();
    expect(text).toContain('# TYPE handover_deliveries_total counter');
    // the per-channel deliveries are initialised by the sender; its two gauges start at 0
    expect(await sampleNames(new Metrics('notifier', { defaults: false }))).toEqual(
      new Set(['handover_notifier_pending_deliveries', 'handover_notifier_failing_subscriptions']),
    );
  });

  it('counts into a series its registry does not export without failing', async () => {
    const watch = new Metrics('watch', { defaults: false });
    watch.events.inc({ type: 'HANDOVER', result: 'applied' });
    expect(await sampleNames(watch)).not.toContain('handover_events_total');
  });

  it('adds the Node.js process metrics by default', async () => {
    expect(await sampleNames(new Metrics('ledger'))).toContain('process_cpu_seconds_total');
  });
});

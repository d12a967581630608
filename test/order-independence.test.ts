import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FacilityCalendar, type FacilityCalendarFile } from '@app/calendar';
import { mailClassOfItem, zeroCounters, type ShiftSummary } from '@app/contracts';
import {
  diffShift,
  generatePostalDay,
  inOrder,
  shuffled,
  type DayMessage,
  type PostalDay,
  type ShiftTruth,
} from '@app/simulation';

import { seededRandom } from './helpers/scenario';

import { System } from './helpers/system';

jest.setTimeout(600_000);

const HOUR = 3_600_000;
const START = Date.now() - 36 * HOUR; // every shift of the day has closed by now
const SEEDS = [101, 202, 303];

type Variant = 'in order' | 'shuffled' | 'in order with 10% re-sent';
const VARIANTS: Variant[] = ['in order', 'shuffled', 'in order with 10% re-sent'];

function dayFor(seed: number, variant: Variant): PostalDay {
  return generatePostalDay({
    seed,
    items: 1_200,
    prefix: `OI${seed}${VARIANTS.indexOf(variant)}`,
    startMs: START,
    durationMs: 24 * HOUR,
    roundTheClock: true,
  });
}

/** 10% of the messages again, a few places later: a producer's retries. Returns the extra duplicates per shift. */
function withResent(
  day: PostalDay,
  seed: number,
): { messages: DayMessage[]; extra: Map<string, { mailClass: string; to: string }[]> } {
  const random = seededRandom(seed);
  const calendar = FacilityCalendar.fromConfig(day.calendar);
  const messages: DayMessage[] = [];
  const extra = new Map<string, { mailClass: string; to: string }[]>();
  const later: { due: number; message: DayMessage }[] = [];
  for (const message of inOrder(day)) {
    messages.push(message);
    if (message.deadLetter === null && random() < 0.1) {
      later.push({ due: messages.length + Math.floor(random() * 20), message });
      const e = JSON.parse(message.value) as {
        type: string;
        itemId: string;
        to?: string;
        route?: string;
        mailClass?: string;
        occurredAt: string;
      };
      const shift = calendar.shiftAt(message.key, Date.parse(e.occurredAt));
      const key = `${message.key}|${shift.shiftId}`;
      const mailClass = e.type === 'HANDOVER' && e.mailClass ? e.mailClass : mailClassOfItem(e.itemId);
      extra.set(key, [...(extra.get(key) ?? []), { mailClass, to: (e.route ?? e.to) as string }]);
    }
    const due = later.filter((c) => c.due <= messages.length);
    later.splice(0, later.length, ...later.filter((c) => c.due > messages.length));
    for (const copy of due) messages.push(copy.message);
  }
  for (const copy of later) messages.push(copy.message);
  return { messages, extra };
}

/** The truth with the re-sent copies counted as duplicates where they fall; item lists as a summary gives them. */
function expectedTruth(truth: ShiftTruth, extra: { mailClass: string; to: string }[] = []): ShiftTruth {
  const t = structuredClone(truth);
  for (const { mailClass, to } of extra) {
    t.totals.duplicates++;
    t.byClass[mailClass as keyof ShiftTruth['byClass']].duplicates++;
    let segment = t.bySegment.find((s) => s.to === to);
    if (!segment) {
      segment = { to, ...zeroCounters() };
      t.bySegment.push(segment);
    }
    segment.duplicates++;
  }
  t.openItems = [...new Set(t.openItems)];
  t.orphanItems = [...new Set(t.orphanItems)];
  return t;
}

describe('order independence', () => {
  const runs = SEEDS.flatMap((seed) =>
    VARIANTS.map((variant) => ({ seed, variant, day: dayFor(seed, variant) })),
  );
  const dir = mkdtempSync(join(tmpdir(), 'hbm-oi-'));
  const calendar: FacilityCalendarFile = {
    ...runs[0].day.calendar,
    facilities: runs.flatMap((r) => r.day.calendar.facilities),
  };
  writeFileSync(join(dir, 'facilities.json'), JSON.stringify(calendar));
  const system = new System({ ORPHAN_WAIT_MINUTES: '1', FACILITIES_FILE: join(dir, 'facilities.json') });
  const expected = new Map<string, ShiftTruth>();

  beforeAll(async () => {
    await system.start();
    for (const { seed, variant, day } of runs) {
      let messages: DayMessage[];
      let extra = new Map<string, { mailClass: string; to: string }[]>();
      if (variant === 'in order') messages = inOrder(day);
      else if (variant === 'shuffled') messages = shuffled(day, seed);
      else ({ messages, extra } = withResent(day, seed));
      for (const [key, truth] of day.truth.shifts) expected.set(key, expectedTruth(truth, extra.get(key)));
      await system.sendRaw(messages);
    }
  });
  afterAll(() => system.stop());

  it('gives, for every seed, final summaries equal to the ground truth whether the day is sent in order, shuffled, or with re-sent copies', async () => {
    const latest = (values: ShiftSummary[]) => {
      const out = new Map<string, ShiftSummary>();
      for (const s of values) {
        const key = `${s.facilityId}|${s.shiftId}`;
        if ((out.get(key)?.revision ?? 0) < s.revision) out.set(key, s);
      }
      return out;
    };
    const differences = (values: ShiftSummary[]) => {
      const summaries = latest(values);
      return [...expected].flatMap(([key, truth]) => {
        const summary = summaries.get(key);
        return summary ? diffShift(truth, summary) : [`${key}: no summary`];
      });
    };
    try {
      await system.summaries.waitFor<ShiftSummary>(
        'summaries equal to the ground truth',
        (v) => differences(v).length === 0,
        240_000,
      );
    } catch (error) {
      const diff = differences(system.summaries.values<ShiftSummary>());
      throw new Error(
        `${(error as Error).message}\n${diff.length} differences, e.g.:\n${diff.slice(0, 20).join('\n')}`,
      );
    }
    expect(expected.size).toBeGreaterThan(SEEDS.length * VARIANTS.length * 3);
    expect(differences(system.summaries.values<ShiftSummary>())).toEqual([]);
  });
});

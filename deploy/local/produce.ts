/**
 * `npm run produce -- FILE [--topic T]`: sends a file of scan events, one JSON object per line, to the
 * scan topic (KAFKA_BROKERS, default localhost:9092; SCAN_TOPIC, default postal.scan-events), keyed by
 * the owner facility. Lines starting with # are comments; a comment line "# hbm:retime" moves every
 * occurredAt by the same amount so that the file's last scan happened a minute ago (the shipped sample
 * uses it, so that it is never too old to be applied). Lines are sent as they are: bad ones too, which
 * is how you see the dead-letter topic at work.
 */
import { readFileSync } from 'node:fs';

import { Kafka, logLevel, Partitioners } from 'kafkajs';

import { DefaultTopic, ownerFacilityOf } from '@app/contracts';

import { parseCommandLine, parseOrExit, UsageError } from './cli-args';

const USAGE = `npm run produce -- FILE [--topic TOPIC]

Sends FILE, one scan event (JSON) per line, to the scan topic, keyed by the owner facility. Lines
starting with # are comments; "# hbm:retime" moves every occurredAt so that the last scan happened a
minute ago. Bad lines are sent as they are (they end on the dead-letter topic).

  --topic TOPIC   the scan topic (default SCAN_TOPIC, postal.scan-events)
  -h, --help

Environment: KAFKA_BROKERS (default localhost:9092), SCAN_TOPIC.`;

function parseProduceArgs(argv: readonly string[]): { file: string; topic: string | undefined } {
  const { values, positionals } = parseCommandLine(
    argv,
    { topic: { type: 'string' } },
    { allowPositionals: true },
  );
  if (values.topic === '') throw new UsageError('--topic: must not be empty');
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'FILE missing' : `one FILE only (got ${positionals.join(' ')})`,
    );
  return { file: positionals[0], topic: values.topic };
}

function keyOf(line: string): string | null {
  try {
    const event = JSON.parse(line) as { from?: unknown; route?: unknown };
    const segment =
      typeof event.from === 'string' ? event.from : typeof event.route === 'string' ? event.route : undefined;
    return segment ? ownerFacilityOf(segment) : null;
  } catch {
    return null;
  }
}

function retime(lines: string[]): string[] {
  const times = lines.flatMap((l) =>
    [...l.matchAll(/"occurredAt"\s*:\s*"([^"]+)"/g)].map((m) => Date.parse(m[1])),
  );
  const latest = Math.max(...times.filter((t) => !Number.isNaN(t)));
  if (!Number.isFinite(latest)) return lines;
  const shift = Date.now() - 60_000 - latest;
  return lines.map((l) =>
    l.replace(/("occurredAt"\s*:\s*")([^"]+)(")/g, (whole, open: string, value: string, close: string) => {
      const t = Date.parse(value);
      return Number.isNaN(t) ? whole : `${open}${new Date(t + shift).toISOString()}${close}`;
    }),
  );
}

async function main(): Promise<void> {
  const args = parseOrExit({ name: 'produce', usage: USAGE }, () => parseProduceArgs(process.argv.slice(2)));
  const file = args.file;
  const topic = args.topic ?? process.env.SCAN_TOPIC ?? DefaultTopic.scanEvents;
  const all = readFileSync(file, 'utf8').split('\n');
  const wantsRetime = all.some((l) => l.trim() === '# hbm:retime');
  let lines = all.filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (wantsRetime) lines = retime(lines);

  const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
  const kafka = new Kafka({ clientId: 'hbm-produce', brokers, logLevel: logLevel.ERROR });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  for (let i = 0; i < lines.length; i += 1_000) {
    const chunk = lines.slice(i, i + 1_000);
    await producer.send({ topic, acks: -1, messages: chunk.map((value) => ({ key: keyOf(value), value })) });
  }
  await producer.disconnect();
  console.log(
    `sent ${lines.length} events to ${topic} on ${brokers.join(',')}${wantsRetime ? ' (re-timed to end a minute ago)' : ''}`,
  );
}

main().catch((error: Error) => {
  console.error(`produce: ${error.message}`);
  process.exit(1);
});

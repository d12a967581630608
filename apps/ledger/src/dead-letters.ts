import type { IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';

import { DeadLetterHeader, type DeadLetterReason } from '@app/contracts';
import { findLastMessage } from '@app/kafka';

export interface DeadLetter {
  message: KafkaMessage;
  partition: number;
  reason: DeadLetterReason;
  detail: string;
}

/** What one produce request carries at most, well under a broker's default message.max.bytes (1 MiB). */
const MAX_SEND_BYTES = 512 * 1024;
/** A letter the dead-letter topic refuses whole (too large) keeps this much of its value. */
const TRUNCATED_BYTES = 64 * 1024;
/** Set on a letter whose value had to be cut: the original size in bytes. */
export const TRUNCATED_HEADER = 'x-dlq-truncated';

/**
 * Sends rejected scan messages, byte for byte with their key and headers, to the dead-letter topic, each
 * exactly once. A source partition's letters go to one dead-letter partition (source partition modulo
 * their count), in source-offset order; so the newest letter of a source partition there tells what is
 * published already. That is read back once per source partition after each assignment (`forget`), and a
 * letter at or below it is not sent again: a replay after a crash, a restart or a rewind writes none twice.
 *
 * Without `kafka` (the naive benchmark peer) letters are sent as they come, at least once.
 */
export class DeadLetterPublisher {
  /** source partition -> the highest source offset on the dead-letter topic */
  private readonly published = new Map<number, number>();
  private partitions?: number;

  constructor(
    private readonly producer: Producer,
    private readonly sourceTopic: string,
    private readonly topic: string,
    private readonly kafka?: Kafka,
  ) {}

  /** Another member may have written letters since: read back again before the next send. */
  forget(): void {
    this.published.clear();
  }

  /** Sends the letters not on the topic yet; returns those it sent. */
  async publish(
    letters: DeadLetter[],
    heartbeat: () => Promise<void> = async () => undefined,
  ): Promise<DeadLetter[]> {
    if (letters.length === 0) return [];
    const bySource = new Map<number, DeadLetter[]>();
    for (const letter of letters) {
      const list = bySource.get(letter.partition);
      if (list) list.push(letter);
      else bySource.set(letter.partition, [letter]);
    }
    const sent: DeadLetter[] = [];
    for (const [source, list] of bySource) {
      const high = this.kafka ? await this.highestPublished(source, heartbeat) : -1;
      const fresh = list
        .filter((l) => Number(l.message.offset) > high)
        .sort((a, b) => Number(a.message.offset) - Number(b.message.offset));
      for (const chunk of chunksOf(fresh)) {
        await this.send(chunk, source);
        sent.push(...chunk);
        if (this.kafka) this.published.set(source, Number(chunk[chunk.length - 1].message.offset));
      }
    }
    return sent;
  }

  private async send(letters: DeadLetter[], source: number): Promise<void> {
    const partition = this.kafka ? source % (await this.partitionCount()) : undefined;
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: letters.map((l) => this.toMessage(l, partition)),
      });
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      if (letters.length > 1) {
        for (const letter of letters) await this.send([letter], source);
        return;
      }
      // the topic refuses this message whole: keep its start and say so, rather than retry forever
      const message = this.toMessage(letters[0], partition);
      const value = letters[0].message.value ?? Buffer.alloc(0);
      message.value = value.subarray(0, TRUNCATED_BYTES);
      message.headers = { ...message.headers, [TRUNCATED_HEADER]: String(value.length) };
      await this.producer.send({ topic: this.topic, acks: -1, messages: [message] });
    }
  }

  private toMessage({ message, partition, reason, detail }: DeadLetter, to: number | undefined): Message {
    const headers: IHeaders = {
      ...message.headers,
      [DeadLetterHeader.reason]: reason,
      [DeadLetterHeader.detail]: detail,
      [DeadLetterHeader.sourceTopic]: this.sourceTopic,
      [DeadLetterHeader.sourcePartition]: String(partition),
      [DeadLetterHeader.sourceOffset]: message.offset,
    };
    return { key: message.key, value: message.value, headers, timestamp: message.timestamp, partition: to };
  }

  private async highestPublished(source: number, heartbeat: () => Promise<void>): Promise<number> {
    const known = this.published.get(source);
    if (known !== undefined) return known;
    const kafka = this.kafka as Kafka;
    const last = await findLastMessage(
      kafka,
      this.topic,
      source % (await this.partitionCount()),
      ({ headers }) =>
        headers[DeadLetterHeader.sourceTopic] === this.sourceTopic &&
        headers[DeadLetterHeader.sourcePartition] === String(source),
      heartbeat,
    );
    const high = last ? Number(last.headers[DeadLetterHeader.sourceOffset]) : -1;
    this.published.set(source, high);
    return high;
  }

  private async partitionCount(): Promise<number> {
    if (this.partitions === undefined) {
      const admin = (this.kafka as Kafka).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [this.topic] });
        this.partitions = Math.max(1, topics[0]?.partitions.length ?? 1);
      } finally {
        await admin.disconnect();
      }
    }
    return this.partitions;
  }
}

/** Letters in sends of at most MAX_SEND_BYTES (a larger letter alone). */
function chunksOf(letters: DeadLetter[]): DeadLetter[][] {
  const chunks: DeadLetter[][] = [];
  let current: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = (letter.message.value?.length ?? 0) + (letter.message.key?.length ?? 0) + 512;
    if (current.length > 0 && bytes + size > MAX_SEND_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(letter);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function isTooLarge(error: unknown): boolean {
  const type = (error as { type?: string; cause?: { type?: string } } | null)?.type;
  const causeType = (error as { cause?: { type?: string } } | null)?.cause?.type;
  return [type, causeType].some((t) => t === 'MESSAGE_TOO_LARGE' || t === 'RECORD_LIST_TOO_LARGE');
}

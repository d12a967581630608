import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';

import { DeadLetterHeader, type DeadLetterReason } from '@app/contracts';

export interface DeadLetter {
  message: KafkaMessage;
  partition: number;
  reason: DeadLetterReason;
  detail: string;
}

/** Sends rejected scan messages, byte for byte with their key and headers, to the dead-letter topic. */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly sourceTopic: string,
    private readonly topic: string,
  ) {}

  async publish(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(({ message, partition, reason, detail }) => {
        const headers: IHeaders = {
          ...message.headers,
          [DeadLetterHeader.reason]: reason,
          [DeadLetterHeader.detail]: detail,
          [DeadLetterHeader.sourceTopic]: this.sourceTopic,
          [DeadLetterHeader.sourcePartition]: String(partition),
          [DeadLetterHeader.sourceOffset]: message.offset,
        };
        return { key: message.key, value: message.value, headers, timestamp: message.timestamp };
      }),
    });
  }
}

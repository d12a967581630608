import { Controller, type Type } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';

import { LedgerStore } from '@app/ledger';

import { DeadLetterPublisher } from '../../../apps/ledger/src/dead-letters';
import { ScanIntake } from '../../../apps/ledger/src/scan-intake';

/**
 * The naive way to apply the ledger's rules: one Nest event handler call per Kafka message, the same
 * parsing (ScanIntake), and the same ledger script with a batch of one, so one Redis round trip per
 * event (a bad message: one Kafka send to the dead-letter topic instead). The topic is known only at
 * start-up, so the controller class is made then: @EventPattern takes it at class definition.
 */
export function scanControllerFor(topic: string, deadLetterTopic: string): Type<unknown> {
  @Controller()
  class ScanController {
    constructor(
      private readonly ledger: LedgerStore,
      private readonly intake: ScanIntake,
    ) {}

    @EventPattern(topic)
    async onScan(@Payload() value: Buffer, @Ctx() context: KafkaContext): Promise<void> {
      const message = context.getMessage();
      const partition = context.getPartition();
      const now = Date.now();
      const read = this.intake.read(value, Number(message.offset), now);
      if (!read.ok) {
        const letters = new DeadLetterPublisher(context.getProducer(), topic, deadLetterTopic);
        await letters.publish([{ message, partition, reason: read.reason, detail: read.detail }]);
        return;
      }
      await this.ledger.applyPartition(
        topic,
        partition,
        [{ facilityId: read.facilityId, scan: read.scan }],
        now,
      );
    }
  }
  return ScanController;
}

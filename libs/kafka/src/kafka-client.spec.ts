import { JsonLogger } from '@app/observability';

import { createKafka, redactFields } from './kafka-client';

function kafkaWithLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = new JsonLogger('info', 'test', (line) => lines.push(JSON.parse(line)));
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'spec', ssl: false }, logger);
  return { log: kafka.logger().namespace('Connection'), lines };
}

describe('the kafkajs client', () => {
  it('logs what kafkajs repeats once per period, with the count, at its level', () => {
    const { log, lines } = kafkaWithLines();
    for (let i = 0; i < 50; i++)
      log.error(`Connection error: connect ECONNREFUSED 127.0.0.1:${9000 + i}`, { broker: '127.0.0.1:1' });
    log.warn('Response Metadata(key: 3, version: 6)', {});
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lines[0]).toMatchObject({ context: 'kafkajs', repeated: 1, broker: '127.0.0.1:1' });
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('never logs a password kafkajs hands it', () => {
    const { log, lines } = kafkaWithLines();
    log.error('Failed to connect to redis://:s3cret@cache:6379', {
      sasl: { mechanism: 'plain', username: 'svc', password: 's3cret' },
      saslPassword: 's3cret',
      broker: 'svc:s3cret@kafka:9092',
    });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
    expect(lines[0]).toMatchObject({ broker: 'svc:***@kafka:9092', sasl: '***' });
    expect(redactFields({ retryCount: 3, error: 'ECONNREFUSED' })).toEqual({
      retryCount: 3,
      error: 'ECONNREFUSED',
    });
  });
});

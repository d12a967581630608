import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * JSON lines on stdout, one object per line. Fields are the caller's; payloads and secrets must not be
 * passed at info level or above.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly context = 'app',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  child(context: string): JsonLogger {
    return new JsonLogger(this.level, context, this.write);
  }

  debug(message: unknown, fields?: unknown): void {
    this.emit('debug', message, fields);
  }
  info(message: unknown, fields?: unknown): void {
    this.emit('info', message, fields);
  }
  log(message: unknown, fields?: unknown): void {
    this.emit('info', message, fields);
  }
  warn(message: unknown, fields?: unknown): void {
    this.emit('warn', message, fields);
  }
  error(message: unknown, fields?: unknown): void {
    this.emit('error', message, fields);
  }
  verbose(message: unknown, fields?: unknown): void {
    this.emit('debug', message, fields);
  }

  private emit(level: LogLevel, message: unknown, fields: unknown): void {
    if (rank[level] < rank[this.level]) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, context: this.context };
    if (message instanceof Error) {
      record.msg = message.message;
      record.err = { name: message.name, stack: message.stack };
    } else {
      record.msg = String(message);
    }
    if (typeof fields === 'string')
      record.context = fields; // Nest passes its context as a string
    else if (fields instanceof Error)
      record.err = { name: fields.name, message: fields.message, stack: fields.stack };
    else if (fields && typeof fields === 'object') Object.assign(record, fields);
    this.write(JSON.stringify(record));
  }
}

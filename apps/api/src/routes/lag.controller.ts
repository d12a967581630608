import { Controller, Get, Inject } from '@nestjs/common';

import { readLagReport, type LagReport } from '@app/lag';
import type { RedisClient } from '@app/redis';

import { REDIS } from '../api.tokens';
import { Requires } from '../auth/auth.guard';
import { ApiError } from '../http/api-error';

/** The lag monitor's latest sample (SPEC section 8): per group, topic and partition. */
@Controller('api/v1/consumer-lag')
export class LagController {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  @Get()
  @Requires('lag:read')
  async report(): Promise<LagReport> {
    const report = await readLagReport(this.redis);
    if (!report)
      throw new ApiError(503, 'NOT_SAMPLED', 'the lag monitor has not sampled the consumer groups yet');
    return report;
  }
}

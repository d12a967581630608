import { z } from 'zod';

import { AlertKind, AlertStatus, FacilityId, ShiftId } from '@app/contracts';

export const FacilityParam = FacilityId;
export const ShiftParam = ShiftId;
export const AlertIdParam = z.string().regex(/^[A-Za-z0-9._:-]{1,256}$/, 'must be an alert id');

const intParam = (fallback: number, max: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(max)
    .default(fallback);

export const AlertListQuery = z
  .object({
    facilityId: FacilityId.optional(),
    status: AlertStatus.optional(),
    kind: AlertKind.optional(),
    limit: intParam(100, 500),
    cursor: z.string().min(1).max(400).optional(),
  })
  .strict();
export type AlertListQuery = z.infer<typeof AlertListQuery>;

export const ShiftQuery = z
  .object({
    cursor: z
      .string()
      .regex(/^\d{1,20}$/, 'must be the nextCursor of the previous page')
      .optional(),
    limit: intParam(1_000, 10_000),
  })
  .strict();
export type ShiftQuery = z.infer<typeof ShiftQuery>;

export const SummariesQuery = z.object({ limit: intParam(20, 200) }).strict();

export const StreamQuery = z
  .object({
    access_token: z.string().optional(),
    lastEventId: z.string().optional(),
  })
  .strict();

/** A Redis stream id, as the alert stream's event ids are. */
export const StreamId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be an event id of this stream');

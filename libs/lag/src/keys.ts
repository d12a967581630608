/**
 * Every Redis key of the lag monitor, in one place. Each command touches one key, so the keys need no
 * shared hash tag for Redis Cluster.
 */
export const lagKeys = {
  /** string: JSON of the latest LagReport (read by the API through readLagReport) */
  report: () => 'hbm:lag:report',
  /** string: JSON of one group's sliding window and end-offset histories, rewritten every sample */
  window: (group: string) => `hbm:lag:window:{${group}}`,
  /** string: JSON of one group's CONSUMER_LAG alert: its latest revision and whether it was sent */
  alert: (group: string) => `hbm:lag:alert:{${group}}`,
  /** string: the instance id of the active monitor, with a time to live */
  lease: () => 'hbm:lag:lease',
};

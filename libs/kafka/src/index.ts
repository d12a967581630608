export { createKafka } from './kafka-client';
export type { KafkaConnection } from './kafka-client';
export { KafkaProbe } from './kafka-probe';
export { readTopicsSince } from './topic-reader';
export type { ReadMessage } from './topic-reader';
export { ensureTopics, outputTopics, prepareTopics } from './topics';
export type { TopicSpec } from './topics';
export { GroupMembership } from './group-membership';

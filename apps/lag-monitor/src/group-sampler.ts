import { AssignerProtocol, type Admin } from 'kafkajs';

import type { GroupSample, PartitionOffsets } from '@app/lag';

/**
 * Samples consumer groups through the Kafka admin API: live members and their assignments
 * (DescribeGroups), committed offsets (OffsetFetch, every topic the group committed on), then the log
 * start and end of each of those topics (ListOffsets). Committed offsets are read before the log ends,
 * so a lag is never under-counted. A group with no live members still has its committed offsets and is
 * reported like any other.
 */
export class GroupSampler {
  constructor(private readonly admin: Admin) {}

  async sample(groups: string[]): Promise<GroupSample[]> {
    const described = await this.admin.describeGroups(groups);
    const byGroup = new Map(described.groups.map((g) => [g.groupId, g]));
    const committedByGroup = new Map<string, Map<string, Map<number, number | null>>>();
    const topics = new Set<string>();
    for (const group of groups) {
      const topicsOf = new Map<string, Map<number, number | null>>();
      for (const member of byGroup.get(group)?.members ?? []) {
        for (const topic of assignedTopics(member.memberAssignment)) topicsOf.set(topic, new Map());
      }
      for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId: group })) {
        const offsets = topicsOf.get(topic) ?? new Map<number, number | null>();
        for (const p of partitions) {
          const offset = Number(p.offset);
          offsets.set(p.partition, offset >= 0 ? offset : null);
        }
        topicsOf.set(topic, offsets);
      }
      committedByGroup.set(group, topicsOf);
      for (const topic of topicsOf.keys()) topics.add(topic);
    }
    const ends = new Map<string, { partition: number; low: number; high: number }[]>();
    await Promise.all(
      [...topics].map(async (topic) => {
        try {
          const offsets = await this.admin.fetchTopicOffsets(topic);
          ends.set(
            topic,
            offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })),
          );
        } catch {
          // a topic deleted since the group committed on it: nothing to measure
        }
      }),
    );
    const atMs = Date.now();
    return groups.map((group) => {
      const partitions: PartitionOffsets[] = [];
      for (const [topic, committed] of committedByGroup.get(group) ?? []) {
        for (const end of ends.get(topic) ?? []) {
          partitions.push({
            topic,
            partition: end.partition,
            committed: committed.get(end.partition) ?? null,
            startOffset: end.low,
            endOffset: end.high,
          });
        }
      }
      return { group, atMs, members: byGroup.get(group)?.members.length ?? 0, partitions };
    });
  }
}

function assignedTopics(memberAssignment: Buffer): string[] {
  if (!memberAssignment || memberAssignment.length === 0) return [];
  try {
    return Object.keys(AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment ?? {});
  } catch {
    return []; // not a consumer protocol assignment (another client's)
  }
}

// Type-checked by `npm run check` (tsc --noEmit): the request types take what
// docs/server-api.md describes and refuse what it does not, and ChatEvent narrows by
// detail-type.
import type { Case, ChatEvent, ResolveReportRequest, SendMessageRequest } from '../src/index.js';

export const toUser: SendMessageRequest = { from: 'system', to: 'alice', body: 'Your order shipped', clientMsgId: 'o-1' };
export const toGroup: SendMessageRequest = { from: 'alice', group: 'G1', body: 'hi', clientMsgId: 'c1', attachments: [{ uploadId: 'u' }] };
// @ts-expect-error: to a user or a group, not both
export const both: SendMessageRequest = { from: 'alice', to: 'bob', group: 'G1', body: 'hi', clientMsgId: 'c2' };
// @ts-expect-error: a send needs its clientMsgId
export const noId: SendMessageRequest = { from: 'alice', to: 'bob', body: 'hi' };

export function describe(e: ChatEvent): string {
  switch (e['detail-type']) {
    case 'message.created':
      return `${e.detail.message.from} in ${e.detail.message.conversation}: ${e.detail.message.body ?? ''} (${e.detail.participants.length})`;
    case 'message.edited':
    case 'message.deleted':
      return `${e.detail.update.kind} of ${e.detail.update.msgId} by ${e.detail.update.by}`;
    case 'message.reacted':
      return `${e.detail.update.by} ${e.detail.update.removed ? 'took back' : 'added'} ${e.detail.update.emoji ?? ''}`;
    case 'group.members_changed':
      return `${e.detail.group.name}: +${e.detail.added.join()} -${e.detail.removed.join()}`;
    case 'group.deleted':
      // @ts-expect-error: a deleted group has no members
      return `${e.detail.group.name} ${e.detail.group.members}`;
    case 'user.banned':
      return `${e.detail.user} until ${e.detail.until ?? 'lifted'}`;
    case 'report.created':
      return `${e.detail.report.reporter} reported ${e.detail.caseId} (${e.detail.report.reason}): ${e.detail.report.evidence.body}`;
    case 'report.resolved':
      return `${e.detail.case.id}: ${e.detail.case.resolution?.action ?? 'open'} by ${e.detail.case.resolution?.by ?? 'nobody'}`;
    default:
      return e.detail.id;
  }
}

export const banned: ChatEvent<'user.banned'> = {
  'detail-type': 'user.banned',
  source: 'serverless-chat',
  time: '2024-12-06T08:00:00Z',
  id: 'e1',
  detail: { id: 'user.banned:alice:1', user: 'alice', reason: 'spam' },
};
// @ts-expect-error: the detail of another detail-type
export const mixed: ChatEvent = { 'detail-type': 'user.unbanned', source: 's', time: 't', id: 'e2', detail: { id: 'x', group: { groupId: 'g', name: 'n', creator: 'c', members: [] } } };

export const dismiss: ResolveReportRequest = { action: 'dismiss' };
export const banAWeek: ResolveReportRequest = { action: 'ban_user', until: 1733472000000 + 7 * 86_400_000 };
// @ts-expect-error: the API's actions are snake_case (chat-admin's flags are kebab-case)
export const kebab: ResolveReportRequest = { action: 'delete-message' };
export const spamCount = (c: Case): number => c.reasons.spam ?? 0;

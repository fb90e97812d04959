// Type-checked by `npm run check` (tsc --noEmit): the generated protocol types describe
// the frames the docs describe, and reject ones they do not.
import type { ClientFrame, ServerFrame } from '../src/protocol.js';
import { type Ack, type ChatClient, type Entry, type Frame, type Message, type Muted, type Quote, type Reactions, type Update, applyUpdate, isMuted } from '../src/client.js';

export const send: ClientFrame = { action: 'send', to: 'bob', clientMsgId: 'c1', body: 'hi' };
export const group: ClientFrame = { action: 'send', group: 'g1', clientMsgId: 'c2', body: 'hi all' };
export const read: ClientFrame = { action: 'read', conversation: 'dm:alice:bob', upTo: 3 };
export const edit: ClientFrame = { action: 'edit', msgId: 'm', body: 'x', clientMsgId: 'e1' };
// @ts-expect-error: `fly` is no action
export const unknown: ClientFrame = { action: 'fly' };
// @ts-expect-error: a send needs its clientMsgId
export const noId: ClientFrame = { action: 'send', to: 'bob', body: 'hi' };
export const photo: ClientFrame = { action: 'send', to: 'bob', clientMsgId: 'c3', attachments: [{ uploadId: 'u' }] };
export const upload: ClientFrame = { action: 'upload', conversation: 'dm:a:b', contentType: 'image/png', size: 1 };
export const block: ClientFrame = { action: 'block', user: 'bob' };
export const mute: ClientFrame = { action: 'mute', conversation: 'dm:a:b', until: 1 };
export const report: ClientFrame = { action: 'report', msgId: 'm', reason: 'spam', note: 'again' };
// @ts-expect-error: a report names its reason
export const noReason: ClientFrame = { action: 'report', msgId: 'm' };
export const reply: ClientFrame = { action: 'send', group: 'g1', clientMsgId: 'c4', body: 'yes @bob', replyTo: 'm', mentions: ['bob'] };
export const react: ClientFrame = { action: 'react', msgId: 'm', emoji: '👍', clientMsgId: 'r1' };
export const unreact: ClientFrame = { action: 'react', msgId: 'm', emoji: '👍', remove: true, clientMsgId: 'r2' };
// @ts-expect-error: a reaction names its emoji
export const noEmoji: ClientFrame = { action: 'react', msgId: 'm', clientMsgId: 'r3' };
export const around: ClientFrame = { action: 'history', conversation: 'dm:a:b', around: 42, limit: 20 };
export const after: ClientFrame = { action: 'history', conversation: 'dm:a:b', after: 42 };

export function describe(f: ServerFrame): string {
  switch (f.type) {
    case 'ack':
      return `${f.clientMsgId} stored as ${f.msgId} at ${f.seq}`;
    case 'message':
      return `${f.from}: ${f.body}`;
    case 'update':
      return f.kind === 'reaction' ? `${f.by} ${f.removed ? 'took back' : 'put'} ${f.emoji}` : `${f.kind} of ${f.msgId} by ${f.by}`;
    case 'history':
      return `${f.messages.length} messages, older ${f.next ?? 'none'}, newer ${f.prev ?? 'none'}`;
    case 'conversations':
      return f.items.map((i) => `${i.conversation} ${i.unread} ${i.mentions ?? 0} ${i.firstMention ?? '-'} ${i.last.preview}`).join();
    case 'blocks':
      return f.users.join();
    case 'muted':
      return `${f.conversation} until ${f.mutedUntil ?? 'unmuted'}`;
    case 'error':
      return `${f.code}: ${f.message}`;
    default:
      return f.type;
  }
}

export const ack: Ack = { type: 'ack', clientMsgId: 'c', msgId: 'm', seq: 1, conversation: 'dm:a:b', ts: 1 };
export const entryKinds = (e: Entry): 'message' | 'update' => e.type;
export type ReadFrame = Frame<'read'>;
export const muted: Muted = { conversation: 'dm:a:b', mutedUntil: null };
export const stillMuted: boolean = isMuted(-1);
export function reportWith(c: ChatClient): Promise<void> {
  // @ts-expect-error: not one of the eight reasons
  void c.report('m', 'rude');
  return c.report('m', 'self_harm', 'a note');
}
export const quoted = (m: Message): string =>
  m.replyTo ? `${m.replyTo.from}: ${m.replyTo.deleted ? '(deleted)' : m.replyTo.preview ?? ''}` : '';
export const named = (m: Message): string[] => m.mentions ?? [];
export const tally = (m: Message): number => Object.values(m.reactions ?? {}).reduce((n, t) => n + (t?.count ?? 0), 0);
export const quote: Quote = { msgId: 'm', from: 'bob', preview: 'hi' };
export const reactions: Reactions = { '👍': { count: 2, mine: true } };
export function folded(m: Message, u: Update): Message {
  return applyUpdate(m, u, 'alice');
}
export function reactWith(c: ChatClient): Promise<Update> {
  void c.history('dm:a:b', { around: 3 });
  void c.send({ group: 'g', body: 'hi @bob', replyTo: 'm', mentions: ['bob'] });
  return c.react('m', '🎉', { remove: true });
}

// ChatServerApi: one method per endpoint of docs/server-api.md, over global fetch, signed
// with SigV4 when it talks to the deployed function URL.
import { ChatApiError, errorFromAnswer } from './errors.js';
import { type Credentials, type CredentialsProvider, isLoopback, regionOfFunctionUrl, type Signer, sigV4Signer } from './signing.js';
import type {
  Ack,
  BanReply,
  BanRequest,
  ChangeMembersRequest,
  CreateGroupRequest,
  Deleted,
  GroupReply,
  ListReportsRequest,
  ReportPage,
  ResolveReportReply,
  ResolveReportRequest,
  SendMessageRequest,
  UnbanReply,
  User,
} from './types.js';

export interface ChatServerApiOptions {
  /** The base URL: the stack output `ServerApiUrl`
   *  (`https://<id>.lambda-url.<region>.on.aws/`), or the devserver's `http://127.0.0.1:8080/`. */
  url: string | URL;
  /** The signing region. Default: the region of a function URL host, else `AWS_REGION`. */
  region?: string;
  /** Default: the AWS SDK's default credential chain. */
  credentials?: Credentials | CredentialsProvider;
  /** Sign requests with SigV4. Default: on, unless the URL's host is loopback (the
   *  devserver takes plain requests); `false` never signs, `true` always does. */
  signed?: boolean;
  /** The fetch to call. Default: the global one. */
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A client of the server API. Calls are independent (no connection state), so one
 *  instance may be shared by everything in a process. A call that fails throws a
 *  `ChatApiError` (nothing was changed), or fetch's own error when no answer came. */
export class ChatServerApi {
  /** The base URL, ending in `/`. */
  readonly url: URL;
  /** The signing region, or `undefined` when requests are not signed. */
  readonly region?: string;
  private readonly signer?: Signer;
  private readonly fetch: typeof fetch;

  constructor(options: ChatServerApiOptions) {
    const url = new URL(options.url);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    url.search = '';
    url.hash = '';
    this.url = url;
    this.fetch = options.fetch ?? globalThis.fetch;
    if (options.signed ?? !isLoopback(url)) {
      const region = options.region ?? regionOfFunctionUrl(url) ?? process.env.AWS_REGION;
      if (!region) {
        throw new Error(`no region to sign requests to ${url.host} with: give \`region\` or set AWS_REGION`);
      }
      this.region = region;
      this.signer = sigV4Signer(region, options.credentials);
    }
  }

  /** Whether requests are signed with SigV4. */
  get signed(): boolean {
    return this.signer !== undefined;
  }

  /** Stores and delivers a message as `from` (a user, or `system`), exactly like that user's
   *  `send`. Idempotent by `(from, clientMsgId)` for 24 hours. */
  sendMessage(message: SendMessageRequest): Promise<Ack> {
    return this.call('POST', ['messages'], { body: message });
  }

  /** A moderator's delete: the message's body and attachments are gone from every holder's
   *  history; every holder's inbox gets an `update` of kind `delete` by `moderator`. */
  deleteMessage(msgId: string, conversation: string): Promise<Deleted> {
    return this.call('DELETE', ['messages', msgId], { query: { conversation } });
  }

  /** Creates a group as if by `creator`'s `group.create` (idempotent by
   *  `(creator, clientMsgId)`). */
  createGroup(group: CreateGroupRequest): Promise<GroupReply> {
    return this.call('POST', ['groups'], { body: group });
  }

  getGroup(groupId: string): Promise<GroupReply> {
    return this.call('GET', ['groups', groupId]);
  }

  /** One membership change; removed members get the notice, then nothing more. */
  changeMembers(groupId: string, change: ChangeMembersRequest): Promise<GroupReply> {
    return this.call('POST', ['groups', groupId, 'members'], { body: change });
  }

  renameGroup(groupId: string, name: string): Promise<GroupReply> {
    return this.call('PATCH', ['groups', groupId], { body: { name } });
  }

  /** Every member gets a last notice and is removed; the group is gone (its messages stay
   *  in the members' inboxes). */
  async deleteGroup(groupId: string): Promise<void> {
    await this.call('DELETE', ['groups', groupId]);
  }

  getUser(userId: string): Promise<User> {
    return this.call('GET', ['users', userId]);
  }

  /** Bans a user until `until` (or until `unban`): its live connections are closed at
   *  once, and nothing more it does is stored. */
  ban(userId: string, ban: BanRequest = {}): Promise<BanReply> {
    return this.call('PUT', ['users', userId, 'ban'], { body: ban });
  }

  unban(userId: string): Promise<UnbanReply> {
    return this.call('DELETE', ['users', userId, 'ban']);
  }

  /** The moderation queue: one case per reported message, oldest first (open ones unless
   *  `status` says otherwise). Pass the page's `next` as `cursor` for the next page. */
  listReports({ status, limit, cursor }: ListReportsRequest = {}): Promise<ReportPage> {
    const query: Record<string, string> = {};
    if (status !== undefined) query.status = status;
    if (limit !== undefined) query.limit = String(limit);
    if (cursor !== undefined) query.cursor = cursor;
    return this.call('GET', ['reports'], { query });
  }

  /** Closes a case, doing what `action` says: nothing (`dismiss`), a moderator's delete of
   *  the message (`delete_message`), or a ban of its sender until `until` or until lifted
   *  (`ban_user`). A case resolved already answers as it was closed, and nothing is done
   *  again; an unknown id throws `not_found`. */
  resolveReport(caseId: string, resolution: ResolveReportRequest): Promise<ResolveReportReply> {
    return this.call('POST', ['reports', caseId, 'resolve'], { body: resolution });
  }

  /** One call: `segments` after `/v1/`, each percent-encoded here. */
  private async call<T>(
    method: Method,
    segments: string[],
    { query = {}, body }: { query?: Record<string, string>; body?: object } = {},
  ): Promise<T> {
    const path = `${this.url.pathname}v1/${segments.map(escape).join('/')}`;
    const search = Object.entries(query)
      .map(([k, v]) => `${escape(k)}=${escape(v)}`)
      .join('&');
    const url = new URL(path + (search ? `?${search}` : ''), this.url);
    const text = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = text === undefined ? {} : { 'content-type': 'application/json' };
    if (this.signer) {
      headers = await this.signer({ method, url, path, query, headers, body: text });
      delete headers.host; // fetch sets it from the URL, to the same value
    }
    const answer = await this.fetch(url, { method, headers, body: text });
    const answerText = await answer.text();
    if (!answer.ok) {
      throw errorFromAnswer(answer.status, answer.statusText, answer.headers.get('retry-after'), answerText);
    }
    if (!answerText) return undefined as T;
    try {
      return JSON.parse(answerText) as T;
    } catch {
      throw new ChatApiError(answer.status, 'internal', `${method} ${url.pathname} answered ${answer.status} with a body that is not JSON`);
    }
  }
}

/** RFC 3986 percent-encoding (as SigV4 canonicalizes): everything but `A-Z a-z 0-9 - . _ ~`. */
function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

import { type Credentials, type CredentialsProvider } from './signing.js';
import type { Ack, BanReply, BanRequest, ChangeMembersRequest, CreateGroupRequest, Deleted, GroupReply, ListReportsRequest, ReportPage, ResolveReportReply, ResolveReportRequest, SendMessageRequest, UnbanReply, User } from './types.js';
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
/** A client of the server API. Calls are independent (no connection state), so one
 *  instance may be shared by everything in a process. A call that fails throws a
 *  `ChatApiError` (nothing was changed), or fetch's own error when no answer came. */
export declare class ChatServerApi {
    /** The base URL, ending in `/`. */
    readonly url: URL;
    /** The signing region, or `undefined` when requests are not signed. */
    readonly region?: string;
    private readonly signer?;
    private readonly fetch;
    constructor(options: ChatServerApiOptions);
    /** Whether requests are signed with SigV4. */
    get signed(): boolean;
    /** Stores and delivers a message as `from` (a user, or `system`), exactly like that user's
     *  `send`. Idempotent by `(from, clientMsgId)` for 24 hours. */
    sendMessage(message: SendMessageRequest): Promise<Ack>;
    /** A moderator's delete: the message's body and attachments are gone from every holder's
     *  history; every holder's inbox gets an `update` of kind `delete` by `moderator`. */
    deleteMessage(msgId: string, conversation: string): Promise<Deleted>;
    /** Creates a group as if by `creator`'s `group.create` (idempotent by
     *  `(creator, clientMsgId)`). */
    createGroup(group: CreateGroupRequest): Promise<GroupReply>;
    getGroup(groupId: string): Promise<GroupReply>;
    /** One membership change; removed members get the notice, then nothing more. */
    changeMembers(groupId: string, change: ChangeMembersRequest): Promise<GroupReply>;
    renameGroup(groupId: string, name: string): Promise<GroupReply>;
    /** Every member gets a last notice and is removed; the group is gone (its messages stay
     *  in the members' inboxes). */
    deleteGroup(groupId: string): Promise<void>;
    getUser(userId: string): Promise<User>;
    /** Bans a user until `until` (or until `unban`): its live connections are closed at
     *  once, and nothing more it does is stored. */
    ban(userId: string, ban?: BanRequest): Promise<BanReply>;
    unban(userId: string): Promise<UnbanReply>;
    /** The moderation queue: one case per reported message, oldest first (open ones unless
     *  `status` says otherwise). Pass the page's `next` as `cursor` for the next page. */
    listReports({ status, limit, cursor }?: ListReportsRequest): Promise<ReportPage>;
    /** Closes a case, doing what `action` says: nothing (`dismiss`), a moderator's delete of
     *  the message (`delete_message`), or a ban of its sender until `until` or until lifted
     *  (`ban_user`). A case resolved already answers as it was closed, and nothing is done
     *  again; an unknown id throws `not_found`. */
    resolveReport(caseId: string, resolution: ResolveReportRequest): Promise<ResolveReportReply>;
    /** One call: `segments` after `/v1/`, each percent-encoded here. */
    private call;
}

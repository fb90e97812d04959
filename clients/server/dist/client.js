// ChatServerApi: one method per endpoint of docs/server-api.md, over global fetch, signed
// with SigV4 when it talks to the deployed function URL.
import { ChatApiError, errorFromAnswer } from './errors.js';
import { isLoopback, regionOfFunctionUrl, sigV4Signer } from './signing.js';
/** A client of the server API. Calls are independent (no connection state), so one
 *  instance may be shared by everything in a process. A call that fails throws a
 *  `ChatApiError` (nothing was changed), or fetch's own error when no answer came. */
export class ChatServerApi {
    /** The base URL, ending in `/`. */
    url;
    /** The signing region, or `undefined` when requests are not signed. */
    region;
    signer;
    fetch;
    constructor(options) {
        const url = new URL(options.url);
        if (!url.pathname.endsWith('/'))
            url.pathname += '/';
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
    get signed() {
        return this.signer !== undefined;
    }
    /** Stores and delivers a message as `from` (a user, or `system`), exactly like that user's
     *  `send`. Idempotent by `(from, clientMsgId)` for 24 hours. */
    sendMessage(message) {
        return this.call('POST', ['messages'], { body: message });
    }
    /** A moderator's delete: the message's body and attachments are gone from every holder's
     *  history; every holder's inbox gets an `update` of kind `delete` by `moderator`. */
    deleteMessage(msgId, conversation) {
        return this.call('DELETE', ['messages', msgId], { query: { conversation } });
    }
    /** Creates a group as if by `creator`'s `group.create` (idempotent by
     *  `(creator, clientMsgId)`). */
    createGroup(group) {
        return this.call('POST', ['groups'], { body: group });
    }
    getGroup(groupId) {
        return this.call('GET', ['groups', groupId]);
    }
    /** One membership change; removed members get the notice, then nothing more. */
    changeMembers(groupId, change) {
        return this.call('POST', ['groups', groupId, 'members'], { body: change });
    }
    renameGroup(groupId, name) {
        return this.call('PATCH', ['groups', groupId], { body: { name } });
    }
    /** Every member gets a last notice and is removed; the group is gone (its messages stay
     *  in the members' inboxes). */
    async deleteGroup(groupId) {
        await this.call('DELETE', ['groups', groupId]);
    }
    getUser(userId) {
        return this.call('GET', ['users', userId]);
    }
    /** Bans a user until `until` (or until `unban`): its live connections are closed at
     *  once, and nothing more it does is stored. */
    ban(userId, ban = {}) {
        return this.call('PUT', ['users', userId, 'ban'], { body: ban });
    }
    unban(userId) {
        return this.call('DELETE', ['users', userId, 'ban']);
    }
    /** The moderation queue: one case per reported message, oldest first (open ones unless
     *  `status` says otherwise). Pass the page's `next` as `cursor` for the next page. */
    listReports({ status, limit, cursor } = {}) {
        const query = {};
        if (status !== undefined)
            query.status = status;
        if (limit !== undefined)
            query.limit = String(limit);
        if (cursor !== undefined)
            query.cursor = cursor;
        return this.call('GET', ['reports'], { query });
    }
    /** Closes a case, doing what `action` says: nothing (`dismiss`), a moderator's delete of
     *  the message (`delete_message`), or a ban of its sender until `until` or until lifted
     *  (`ban_user`). A case resolved already answers as it was closed, and nothing is done
     *  again; an unknown id throws `not_found`. */
    resolveReport(caseId, resolution) {
        return this.call('POST', ['reports', caseId, 'resolve'], { body: resolution });
    }
    /** One call: `segments` after `/v1/`, each percent-encoded here. */
    async call(method, segments, { query = {}, body } = {}) {
        const path = `${this.url.pathname}v1/${segments.map(escape).join('/')}`;
        const search = Object.entries(query)
            .map(([k, v]) => `${escape(k)}=${escape(v)}`)
            .join('&');
        const url = new URL(path + (search ? `?${search}` : ''), this.url);
        const text = body === undefined ? undefined : JSON.stringify(body);
        let headers = text === undefined ? {} : { 'content-type': 'application/json' };
        if (this.signer) {
            headers = await this.signer({ method, url, path, query, headers, body: text });
            delete headers.host; // fetch sets it from the URL, to the same value
        }
        const answer = await this.fetch(url, { method, headers, body: text });
        const answerText = await answer.text();
        if (!answer.ok) {
            throw errorFromAnswer(answer.status, answer.statusText, answer.headers.get('retry-after'), answerText);
        }
        if (!answerText)
            return undefined;
        try {
            return JSON.parse(answerText);
        }
        catch {
            throw new ChatApiError(answer.status, 'internal', `${method} ${url.pathname} answered ${answer.status} with a body that is not JSON`);
        }
    }
}
/** RFC 3986 percent-encoding (as SigV4 canonicalizes): everything but `A-Z a-z 0-9 - . _ ~`. */
function escape(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The error codes of docs/server-api.md (the protocol's, plus `rejected` and
 *  `unavailable` from the pre-send hook). Open-ended: a newer server may add codes. */
export type ChatApiErrorCode = 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'rate_limited' | 'rejected' | 'unavailable' | 'internal' | (string & {});
/** A call the server answered with an error status; nothing was changed. `code` is the
 *  server's (from its `{"code","message"}` body), or derived from the status when the answer
 *  came from something in front of it (the function URL's own 403 for a bad signature, a
 *  throttled Lambda's 429). */
export declare class ChatApiError extends Error {
    readonly status: number;
    readonly code: ChatApiErrorCode;
    /** With `rate_limited`: how long until the same call can succeed. */
    readonly retryAfterMs?: number;
    constructor(status: number, code: ChatApiErrorCode, message: string, retryAfterMs?: number);
}
/** The code an error status stands for when the body does not say (docs/server-api.md's table). */
export declare function codeForStatus(status: number): ChatApiErrorCode;
/** The error of a non-2xx answer: the server's `{"code","message","retryAfterMs"?}`, else
 *  AWS's `{"Message"}` or the raw text, with `Retry-After` (seconds) as a fallback delay. */
export declare function errorFromAnswer(status: number, statusText: string, retryAfter: string | null, text: string): ChatApiError;

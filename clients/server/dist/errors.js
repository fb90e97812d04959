// ChatApiError: what a refused or failed call of the server API throws.
/** A call the server answered with an error status; nothing was changed. `code` is the
 *  server's (from its `{"code","message"}` body), or derived from the status when the answer
 *  came from something in front of it (the function URL's own 403 for a bad signature, a
 *  throttled Lambda's 429). */
export class ChatApiError extends Error {
    status;
    code;
    /** With `rate_limited`: how long until the same call can succeed. */
    retryAfterMs;
    constructor(status, code, message, retryAfterMs) {
        super(message);
        this.name = 'ChatApiError';
        this.status = status;
        this.code = code;
        if (retryAfterMs !== undefined)
            this.retryAfterMs = retryAfterMs;
    }
}
/** The code an error status stands for when the body does not say (docs/server-api.md's table). */
export function codeForStatus(status) {
    switch (status) {
        case 400:
        case 405:
            return 'bad_request';
        case 401:
            return 'unauthorized';
        case 403:
            return 'forbidden';
        case 404:
            return 'not_found';
        case 409:
            return 'conflict';
        case 413:
            return 'too_large';
        case 422:
            return 'rejected';
        case 429:
            return 'rate_limited';
        case 503:
            return 'unavailable';
        default:
            return 'internal';
    }
}
/** The error of a non-2xx answer: the server's `{"code","message","retryAfterMs"?}`, else
 *  AWS's `{"Message"}` or the raw text, with `Retry-After` (seconds) as a fallback delay. */
export function errorFromAnswer(status, statusText, retryAfter, text) {
    let body = {};
    try {
        const parsed = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
            body = parsed;
    }
    catch {
        // not JSON: a proxy's or gateway's page; the status decides
    }
    const code = typeof body.code === 'string' ? body.code : codeForStatus(status);
    const message = typeof body.message === 'string'
        ? body.message
        : typeof body.Message === 'string'
            ? body.Message
            : text.trim() || statusText || `HTTP ${status}`;
    let retryAfterMs = typeof body.retryAfterMs === 'number' ? body.retryAfterMs : undefined;
    if (retryAfterMs === undefined && retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
        retryAfterMs = Number(retryAfter.trim()) * 1000;
    }
    return new ChatApiError(status, code, message, retryAfterMs);
}

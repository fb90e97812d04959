/** A refused or failed request: `code` is the server's error code (docs/protocol.md), or
 *  `timeout`, `closed`, `unauthorized` for what the client itself detects. */
export class ChatError extends Error {
    constructor(code, message, retryAfterMs) {
        super(`${code}: ${message}`);
        this.name = 'ChatError';
        this.code = code;
        this.retryAfterMs = retryAfterMs;
    }
}

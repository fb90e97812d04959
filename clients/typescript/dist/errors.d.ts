/** A refused or failed request: `code` is the server's error code (docs/protocol.md), or
 *  `timeout`, `closed`, `unauthorized` for what the client itself detects. */
export declare class ChatError extends Error {
    readonly code: string;
    readonly retryAfterMs?: number;
    constructor(code: string, message: string, retryAfterMs?: number);
}

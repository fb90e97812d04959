// @serverless-chat/server: the server-side client of the serverless-chat server API
// (docs/server-api.md), for your own backend. Kept apart from @serverless-chat/client so the
// browser library stays free of runtime dependencies; this one has the AWS SDK's signing.
//
// - client.ts:  ChatServerApi, one method per endpoint, over global fetch
// - signing.ts: SigV4 (service `lambda`) for the function URL; when to sign and where
// - errors.ts:  ChatApiError, from the server's `{"code","message"}` answers
// - types.ts:   the request and answer bodies
// - events.ts:  the EventBridge events (types only), for the consumers of the bus
export { ChatServerApi } from './client.js';
export { ChatApiError } from './errors.js';
export { CHAT_EVENT_TYPES, } from './events.js';

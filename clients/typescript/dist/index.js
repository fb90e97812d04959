// @serverless-chat/client: a typed client of the serverless-chat WebSocket API
// (docs/protocol.md, docs/client.md). No runtime dependencies.
export { ChatClient, QUICK_REACTIONS, REPORT_REASONS, applyUpdate, isMuted } from './client.js';
export { ChatError } from './errors.js';
export { localStorageAdapter, memoryStorage } from './storage.js';
export { ulid } from './ulid.js';

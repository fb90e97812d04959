export { ChatClient, QUICK_REACTIONS, REPORT_REASONS, applyUpdate, isMuted } from './client.js';
export type { Ack, ChatClientOptions, ChatEvents, ConnectionState, ConversationsPage, Entry, Exported, Frame, Group, HistoryPage, Message, MessageLike, Muted, Presence, Quote, Reactions, ReportReason, SyncPage, Update, AttachmentUrl, UploadUrl, Uploaded, WebSocketLike, } from './client.js';
export { ChatError } from './errors.js';
export { type ChatStorage, localStorageAdapter, memoryStorage } from './storage.js';
export { ulid } from './ulid.js';
export type { ClientFrame, ServerFrame } from './protocol.js';

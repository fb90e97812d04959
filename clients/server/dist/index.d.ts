export { ChatServerApi, type ChatServerApiOptions } from './client.js';
export { ChatApiError, type ChatApiErrorCode } from './errors.js';
export type { Credentials, CredentialsProvider } from './signing.js';
export type { Ack, AttachmentRef, Ban, BanReply, BanRequest, ChangeMembersRequest, CreateGroupRequest, Deleted, Group, GroupReply, SendMessageRequest, UnbanReply, User, } from './types.js';
export { CHAT_EVENT_TYPES, type ChatEvent, type ChatEventDetails, type ChatEventType, type EventAttachment, type EventGroup, type EventMessage, type EventUpdate, type GroupCreatedDetail, type GroupDeletedDetail, type GroupMembersChangedDetail, type GroupRenamedDetail, type MessageCreatedDetail, type MessageDeletedDetail, type MessageEditedDetail, type UserBannedDetail, type UserUnbannedDetail, } from './events.js';

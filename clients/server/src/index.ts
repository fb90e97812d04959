// @serverless-chat/server: the server-side client of the serverless-chat server API
// (docs/server-api.md), for your own backend. Kept apart from @serverless-chat/client so the
// browser library stays free of runtime dependencies; this one has the AWS SDK's signing.
//
// - client.ts:  ChatServerApi, one method per endpoint, over global fetch
// - signing.ts: SigV4 (service `lambda`) for the function URL; when to sign and where
// - errors.ts:  ChatApiError, from the server's `{"code","message"}` answers
// - types.ts:   the request and answer bodies
// - events.ts:  the EventBridge events (types only), for the consumers of the bus
export { ChatServerApi, type ChatServerApiOptions } from './client.js';
export { ChatApiError, type ChatApiErrorCode } from './errors.js';
export type { Credentials, CredentialsProvider } from './signing.js';
export type {
  Ack,
  AttachmentRef,
  Ban,
  BanReply,
  BanRequest,
  ChangeMembersRequest,
  CreateGroupRequest,
  Case,
  Deleted,
  Evidence,
  Group,
  GroupReply,
  ListReportsRequest,
  ReportAction,
  ReportPage,
  ReportReason,
  Resolution,
  ResolveReportReply,
  ResolveReportRequest,
  SendMessageRequest,
  UnbanReply,
  User,
} from './types.js';
export {
  CHAT_EVENT_TYPES,
  type ChatEvent,
  type ChatEventDetails,
  type ChatEventType,
  type EventAttachment,
  type EventGroup,
  type EventMessage,
  type EventReport,
  type EventUpdate,
  type GroupCreatedDetail,
  type GroupDeletedDetail,
  type GroupMembersChangedDetail,
  type GroupRenamedDetail,
  type MessageCreatedDetail,
  type MessageDeletedDetail,
  type MessageEditedDetail,
  type ReportCreatedDetail,
  type ReportResolvedDetail,
  type UserBannedDetail,
  type UserUnbannedDetail,
} from './events.js';

// The events of docs/server-api.md ("Events"), as published on the stack's EventBridge bus
// (and listed or POSTed by the devserver): types only, for the consumers of the bus.
/** Every `detail-type`, for filters and rules. */
export const CHAT_EVENT_TYPES = [
    'message.created',
    'message.edited',
    'message.deleted',
    'group.created',
    'group.members_changed',
    'group.renamed',
    'group.deleted',
    'user.banned',
    'user.unbanned',
];

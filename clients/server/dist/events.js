/** Every `detail-type`, for filters and rules. */
export const CHAT_EVENT_TYPES = [
    'message.created',
    'message.edited',
    'message.deleted',
    'message.reacted',
    'group.created',
    'group.members_changed',
    'group.renamed',
    'group.deleted',
    'user.banned',
    'user.unbanned',
    'report.created',
    'report.resolved',
];

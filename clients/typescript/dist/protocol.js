// Generated from docs/protocol.schema.json by `npm run gen` (json-schema-to-typescript); do not edit.
/* eslint-disable */
export {};

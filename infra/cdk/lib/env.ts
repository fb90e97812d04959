// The environment variable names the Rust functions read: chat-core's `schema::env`,
// exported to schema.json (a Rust test keeps the file current), so a renamed variable
// cannot leave the stack setting the old name.
import schema from './schema.json';

export const ENV = schema.env;

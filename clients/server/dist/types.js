// The bodies of docs/server-api.md: what each call sends and what it answers.
export {};

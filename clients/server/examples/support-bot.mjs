// A support desk's first answer, in a few lines: listens for chat events and, for every
// message a user sends to `support`, posts a reply as `system` through the server API.
//
// Against the devserver (plain requests; it POSTs each event to --events-url):
//   chat-devserver --in-memory --events-url http://127.0.0.1:8090/ &
//   CHAT_SERVER_API=http://127.0.0.1:8080/ node examples/support-bot.mjs
// Against a deployed stack (signed with the default AWS credentials, of a role granted with
// grantServerApi), behind the stack's webhook (chat:webhookUrl; with chat:webhookSecretArn,
// set WEBHOOK_SECRET to the secret's value):
//   CHAT_SERVER_API=https://<id>.lambda-url.<region>.on.aws/ node examples/support-bot.mjs
import http from 'node:http';

import { ChatApiError, ChatServerApi } from '@serverless-chat/server';

const api = new ChatServerApi({ url: process.env.CHAT_SERVER_API ?? 'http://127.0.0.1:8080/' });
const port = Number(process.env.PORT ?? 8090);

/** @param {import('@serverless-chat/server').ChatEvent} event */
async function handle(event) {
  if (event['detail-type'] !== 'message.created') return;
  const { message } = event.detail;
  if (message.from === 'system' || message.conversation !== `dm:${[message.from, 'support'].sort().join(':')}`) return;
  // The clientMsgId comes from the message answered: an event delivered twice, or a retry
  // after a failure, answers the first ack instead of posting twice.
  const ack = await api.sendMessage({
    from: 'system',
    to: message.from,
    body: 'Thanks for writing to support: someone will answer here within a day.',
    clientMsgId: `support-ack-${message.msgId}`,
  });
  console.log(`answered ${message.from} (${message.msgId}) with ${ack.msgId}`);
}

http
  .createServer((req, res) => {
    if (process.env.WEBHOOK_SECRET && req.headers.authorization !== process.env.WEBHOOK_SECRET) {
      res.writeHead(401).end();
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      try {
        await handle(JSON.parse(body));
        res.writeHead(204).end();
      } catch (e) {
        console.error(e instanceof ChatApiError ? `${e.code}: ${e.message}` : e);
        // 5xx: a sender that retries (EventBridge's API destination does) tries again later.
        res.writeHead(e instanceof ChatApiError && e.status < 500 && e.code !== 'rate_limited' ? 204 : 503).end();
      }
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`support bot listening for events on http://127.0.0.1:${port}/`));

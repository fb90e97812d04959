// A bot that answers every message sent to it, in a few lines: the client library does the
// reconnecting, resending and catching up.
//
//   CHAT_URL=ws://127.0.0.1:8080/ CHAT_TOKEN=$(curl -s 'http://127.0.0.1:8080/dev/token?user=echo-bot' | jq -r .token) \
//     node --experimental-websocket examples/echo-bot.mjs      # Node 22+: no flag needed
import { ChatClient } from '@serverless-chat/client';

const me = process.env.CHAT_USER ?? 'echo-bot';
const client = new ChatClient({ url: process.env.CHAT_URL, token: process.env.CHAT_TOKEN, device: 'bot' });

client.on('message', async (m) => {
  if (m.from === me || m.from === 'system') return; // never answer ourselves or notices
  const target = m.conversation.startsWith('group:') ? { group: m.conversation.slice(6) } : { to: m.from };
  try {
    await client.send({ ...target, body: `echo: ${m.body ?? ''}` });
  } catch (e) {
    console.error(`could not answer ${m.msgId}: ${e.message}`);
  }
});
client.on('state', (s) => console.log(`bot ${s}`));
client.on('error', (e) => console.error(e.message));

await client.connect();
process.on('SIGTERM', () => {
  client.close();
  process.exit(0);
});

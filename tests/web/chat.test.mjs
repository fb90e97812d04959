// The web client in a real browser: Debian's Chromium, headless, driven by Playwright
// (playwright-core; no browser download). Two browser contexts are two users.
//
// Needs CHAT_DEVSERVER_BIN (the built devserver) and Chromium at /usr/bin/chromium (or
// CHROMIUM); scripts/test provides both. Leaves a screenshot in test-artifacts/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const TIMEOUT = 15_000;

let server;
let base;
let browser;

function startDevserver(listen = '127.0.0.1:0', store = ['--in-memory']) {
  const bin = process.env.CHAT_DEVSERVER_BIN ?? path.join(ROOT, 'target', 'debug', 'chat-devserver');
  const child = spawn(bin, ['--listen', listen, ...store, '--presence-debounce-ms', '300'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/ws:\/\/([0-9.]+:\d+)/);
      if (m) resolve({ child, base: `http://${m[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`devserver exited with ${code}`)));
  });
}

before(async () => {
  ({ child: server, base } = await startDevserver());
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

async function signIn(context, user) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(base);
  await page.getByLabel('Your user name').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#status.online').waitFor();
  return page;
}

async function openChat(page, peer) {
  await page.getByLabel('Chat with').fill(peer);
  await page.getByRole('button', { name: 'Open' }).click();
}

async function send(page, text) {
  await page.locator('#body').fill(text);
  await page.locator('#body').press('Enter');
}

const message = (page, text) => page.locator('#messages .msg', { hasText: text });

test('two users chat, read ticks appear, and a user who was away catches up', async () => {
  const aliceCtx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const bobCtx = await browser.newContext();
  const alice = await signIn(aliceCtx, 'alice');
  let bob = await signIn(bobCtx, 'bob');

  await openChat(alice, 'bob');
  await send(alice, 'hello bob');
  await message(alice, 'hello bob').locator('[data-status="sent"], [data-status="delivered"]').waitFor();

  // Bob sees the conversation appear with alice online, opens it, and reads.
  const conv = bob.locator('#conversations button', { hasText: 'alice' });
  await conv.waitFor();
  await bob.locator('#conversations button .dot.online').waitFor();
  await conv.click();
  await message(bob, 'hello bob').waitFor();
  await message(alice, 'hello bob').locator('[data-status="read"]').waitFor();

  // Typing shows on the other side.
  await bob.locator('#body').type('h');
  await alice.locator('#typing', { hasText: 'bob is typing' }).waitFor();
  await send(bob, 'hi alice');
  await message(alice, 'hi alice').waitFor();

  // Bob goes away; alice writes twice; bob comes back and catches up from his last seq.
  await bob.close();
  await alice.locator('#conversations button .dot:not(.online)').waitFor();
  await send(alice, 'are you there?');
  await send(alice, 'call me when back');
  await message(alice, 'call me when back').locator('[data-status="sent"]').waitFor();
  bob = await signIn(bobCtx, 'bob');
  await bob.locator('#conversations button', { hasText: 'alice' }).click();
  await message(bob, 'are you there?').waitFor();
  await message(bob, 'call me when back').waitFor();
  await message(bob, 'hello bob').waitFor(); // older messages come from history
  assert.equal(await message(bob, 'hello bob').count(), 1, 'history shows earlier messages once');

  mkdirSync(ARTIFACTS, { recursive: true });
  await alice.screenshot({ path: path.join(ARTIFACTS, 'chat.png') });

  // An error frame is shown to the user, and the refused message is marked not sent.
  await alice.locator('#body').evaluate((el) => (el.value = 'é'.repeat(9000)));
  await alice.locator('#body').press('Enter');
  await alice.locator('#errors', { hasText: 'too_large' }).waitFor();
  await alice.locator('#messages .msg.failed [data-status="not sent"]').waitFor();
  await alice.screenshot({ path: path.join(ARTIFACTS, 'chat-error.png') });
  await aliceCtx.close();
  await bobCtx.close();
});

test('a group chat reaches every member', async () => {
  const ctxs = await Promise.all([1, 2, 3].map(() => browser.newContext()));
  const [carol, dave, erin] = await Promise.all(['carol', 'dave', 'erin'].map((u, i) => signIn(ctxs[i], u)));
  await carol.getByLabel('New group').fill('weekend');
  await carol.getByLabel('Members').fill('dave, erin');
  await carol.getByRole('button', { name: 'Create' }).click();
  await carol.locator('#conversations button', { hasText: 'weekend' }).click();
  await send(carol, 'hiking on saturday?');
  for (const page of [dave, erin]) {
    // The sidebar learns the group's name from the server's conversation list.
    await page.locator('#conversations button', { hasText: 'weekend' }).click();
    await message(page, 'hiking on saturday?').waitFor();
    await message(page, 'carol created the group with dave, erin').waitFor();
  }
  await Promise.all(ctxs.map((c) => c.close()));
});

test('a new browser shows the server\'s list with unread badges, cleared on every device once read', async () => {
  const ivanCtx = await browser.newContext();
  const ivan = await signIn(ivanCtx, 'ivan');
  await openChat(ivan, 'judy');
  for (const text of ['first', 'second', 'third']) await send(ivan, text);
  await message(ivan, 'third').locator('[data-status="sent"]').waitFor();
  // Two fresh browsers of judy's: nothing stored locally, the list comes from the server.
  const [phoneCtx, laptopCtx] = [await browser.newContext(), await browser.newContext()];
  const phone = await signIn(phoneCtx, 'judy');
  const laptop = await signIn(laptopCtx, 'judy');
  for (const page of [phone, laptop]) {
    const conv = page.locator('#conversations button', { hasText: 'ivan' });
    await conv.locator('.unread', { hasText: '3' }).waitFor();
    await conv.locator('.preview', { hasText: 'third' }).waitFor();
  }
  await phone.locator('#conversations button', { hasText: 'ivan' }).click();
  await message(phone, 'third').waitFor();
  // Read on the phone: the laptop's badge clears.
  await laptop.locator('#conversations button', { hasText: 'ivan' }).locator('.unread').waitFor({ state: 'detached' });
  // And a browser opened later sees it read too.
  const tabletCtx = await browser.newContext();
  const tablet = await signIn(tabletCtx, 'judy');
  await tablet.locator('#conversations button', { hasText: 'ivan' }).locator('.preview', { hasText: 'third' }).waitFor();
  assert.equal(await tablet.locator('#conversations .unread').count(), 0, 'no badge once read elsewhere');
  await Promise.all([ivanCtx, phoneCtx, laptopCtx, tabletCtx].map((c) => c.close()));
});

test('an edit and a delete show on the other side, live and after a reload', async () => {
  const [kateCtx, leoCtx] = [await browser.newContext(), await browser.newContext()];
  const kate = await signIn(kateCtx, 'kate');
  const leo = await signIn(leoCtx, 'leo');
  await openChat(kate, 'leo');
  await send(kate, 'helo leo');
  await send(kate, 'a second thought');
  await message(kate, 'a second thought').locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').waitFor();
  await leo.locator('#conversations button', { hasText: 'kate' }).click();
  await message(leo, 'helo leo').waitFor();
  await message(leo, 'a second thought').waitFor();

  await message(kate, 'helo leo').getByRole('button', { name: 'Edit message' }).click();
  await kate.locator('#body').fill('hello leo');
  await kate.locator('#body').press('Enter');
  await message(leo, 'hello leo').locator('.meta', { hasText: 'edited' }).waitFor();
  await message(kate, 'a second thought').getByRole('button', { name: 'Delete message' }).click();
  await leo.locator('#messages .msg.deleted', { hasText: 'Message deleted' }).waitFor();
  assert.equal(await message(leo, 'a second thought').count(), 0, 'the deleted text is gone');
  // Leo can change neither.
  assert.equal(await leo.getByRole('button', { name: 'Edit message' }).count(), 0);

  await leo.reload();
  await leo.locator('#status.online').waitFor();
  await leo.locator('#conversations button', { hasText: 'kate' }).click();
  await message(leo, 'hello leo').locator('.meta', { hasText: 'edited' }).waitFor();
  await leo.locator('#messages .msg.deleted').waitFor();
  assert.equal(await message(leo, 'helo leo').count(), 0, 'no stale copy after the reload');
  await Promise.all([kateCtx, leoCtx].map((c) => c.close()));
});

/** A real PNG of `width` x `height` pixels (a gradient), built with zlib only. */
function png(width, height) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x % 256, y % 256, 120], 1 + x * 3);
    rows.push(row);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

test('an image sent from one browser shows as a thumbnail in the other, and a refused file says why', async () => {
  const [lenaCtx, maxCtx] = [await browser.newContext(), await browser.newContext()];
  const lena = await signIn(lenaCtx, 'lena');
  const max = await signIn(maxCtx, 'max');
  await openChat(lena, 'max');
  await lena.locator('#attach').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png(640, 480) });
  await lena.locator('#messages .msg img.thumb').waitFor();
  await max.locator('#conversations button', { hasText: 'lena' }).click();
  const thumb = max.locator('#messages .msg img.thumb');
  await thumb.waitFor();
  await max.waitForFunction(() => {
    const img = document.querySelector('#messages .msg img.thumb');
    return img && img.complete && img.naturalWidth === 320 && img.naturalHeight === 240;
  });
  assert.equal(await thumb.getAttribute('alt'), 'sunset.png');
  await max.locator('#conversations button', { hasText: 'lena' }).locator('.preview', { hasText: 'Photo' }).waitFor();
  // A type outside the allow-list is refused before any byte moves, and said so.
  await lena.locator('#attach').setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<p>hi</p>') });
  await lena.locator('#errors', { hasText: 'bad_request' }).waitFor();
  await lena.locator('#uploads li.failed', { hasText: 'page.html' }).waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await max.screenshot({ path: path.join(ARTIFACTS, 'chat-image.png') });
  await Promise.all([lenaCtx, maxCtx].map((c) => c.close()));
});

test('the page works at phone width and with the keyboard alone', async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(base);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user', 'the name field takes the first tab');
  await page.keyboard.type('frank');
  await page.keyboard.press('Enter');
  await page.locator('#status.online').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no horizontal scrolling at phone width (${width}px)`);
  await ctx.close();
});

test('after the server restarts, clients reconnect, resend what was unacked, and sync', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chat-web-'));
  let own = await startDevserver('127.0.0.1:0', ['--data-dir', dataDir]);
  const listen = own.base.replace('http://', '');
  const ctxs = [await browser.newContext(), await browser.newContext()];
  const page = async (ctx, user) => {
    const p = await ctx.newPage();
    p.setDefaultTimeout(TIMEOUT);
    await p.goto(own.base);
    await p.getByLabel('Your user name').fill(user);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('#status.online').waitFor();
    return p;
  };
  const [gina, hank] = [await page(ctxs[0], 'gina'), await page(ctxs[1], 'hank')];
  await openChat(gina, 'hank');
  await send(gina, 'before the restart');
  await hank.locator('#conversations button', { hasText: 'gina' }).click();
  await message(hank, 'before the restart').waitFor();

  own.child.kill('SIGTERM');
  await new Promise((r) => own.child.on('exit', r));
  await gina.locator('#status:not(.online)').waitFor();
  await send(gina, 'written while the server was down');
  await message(gina, 'written while the server was down').locator('[data-status="sending"]').waitFor();

  own = await startDevserver(listen, ['--data-dir', dataDir]);
  await gina.locator('#status.online').waitFor();
  await hank.locator('#status.online').waitFor();
  await message(gina, 'written while the server was down').locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').waitFor();
  await message(hank, 'written while the server was down').waitFor();
  await message(hank, 'before the restart').waitFor();
  assert.equal(await message(hank, 'before the restart').count(), 1, 'nothing twice after the resync');
  await Promise.all(ctxs.map((c) => c.close()));
  own.child.kill('SIGTERM');
});

test('a blocked user\'s messages stop arriving while his sends still look sent, and arrive again after an unblock', async () => {
  const [noraCtx, oscarCtx] = [await browser.newContext(), await browser.newContext()];
  let nora = await signIn(noraCtx, 'nora');
  const oscar = await signIn(oscarCtx, 'oscar');
  await openChat(nora, 'oscar');
  await send(nora, 'hi oscar');
  await oscar.locator('#conversations button', { hasText: 'nora' }).click();
  await message(oscar, 'hi oscar').waitFor();
  await send(oscar, 'hi nora');
  await message(nora, 'hi nora').waitFor();

  await nora.getByRole('button', { name: 'Block oscar' }).click();
  await nora.locator('#blocked', { hasText: 'You blocked oscar' }).waitFor();
  await nora.locator('#conversations button', { hasText: 'oscar' }).locator('.tag', { hasText: 'blocked' }).waitFor();
  assert.ok(await nora.locator('#body').isDisabled(), 'no writing to a blocked user');
  mkdirSync(ARTIFACTS, { recursive: true });
  await nora.screenshot({ path: path.join(ARTIFACTS, 'chat-blocked.png') });

  // Oscar cannot tell: his message is acked like any other, and never reaches nora.
  await send(oscar, 'are you ignoring me?');
  await message(oscar, 'are you ignoring me?').locator('[data-status="sent"]').waitFor();
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(await message(nora, 'are you ignoring me?').count(), 0, 'not shown live');
  // Nor after a reload: it is not in her inbox, and the block comes back from the server.
  await nora.reload();
  await nora.locator('#status.online').waitFor();
  await nora.locator('#conversations button', { hasText: 'oscar' }).click();
  await message(nora, 'hi nora').waitFor();
  await nora.locator('#blocked', { hasText: 'You blocked oscar' }).waitFor();
  assert.equal(await message(nora, 'are you ignoring me?').count(), 0, 'not in history either');

  await nora.getByRole('button', { name: 'Unblock oscar' }).click();
  await nora.locator('#blocked').waitFor({ state: 'hidden' });
  assert.ok(await nora.locator('#body').isEnabled(), 'writing again');
  await send(oscar, 'hello again');
  await message(nora, 'hello again').waitFor();
  assert.equal(await message(nora, 'are you ignoring me?').count(), 0, 'what was sent while blocked stays away');
  await send(nora, 'sorry, wrong button');
  await message(oscar, 'sorry, wrong button').waitFor();
  await Promise.all([noraCtx, oscarCtx].map((c) => c.close()));
});

test('a conversation muted in one browser shows its bell muted in the user\'s others', async () => {
  const [ritaCtx, laptopCtx, phoneCtx] = [await browser.newContext(), await browser.newContext(), await browser.newContext()];
  const rita = await signIn(ritaCtx, 'rita');
  await openChat(rita, 'quinn');
  await send(rita, 'the daily digest');
  await message(rita, 'the daily digest').locator('[data-status="sent"]').waitFor();
  const laptop = await signIn(laptopCtx, 'quinn');
  const phone = await signIn(phoneCtx, 'quinn');
  const bell = (page) => page.locator('#conversations [data-bell="dm:quinn:rita"]');
  for (const page of [laptop, phone]) await bell(page).and(page.locator('[aria-pressed="false"]')).waitFor();

  await laptop.getByRole('button', { name: 'Mute rita' }).click();
  await bell(laptop).and(laptop.locator('[aria-pressed="true"]')).waitFor();
  // The other browser hears of it live (a `muted` frame) ...
  await bell(phone).and(phone.locator('[aria-pressed="true"]')).waitFor();
  // ... and one signed in later reads it from the conversation list.
  const tabletCtx = await browser.newContext();
  const tablet = await signIn(tabletCtx, 'quinn');
  await bell(tablet).and(tablet.locator('[aria-pressed="true"]')).waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await phone.screenshot({ path: path.join(ARTIFACTS, 'chat-muted.png') });

  // Muted still delivers (only notifications stop).
  await send(rita, 'still arriving');
  await phone.locator('#conversations button', { hasText: 'rita' }).locator('.preview', { hasText: 'still arriving' }).waitFor();

  await phone.getByRole('button', { name: 'Unmute rita' }).click();
  for (const page of [phone, laptop, tablet]) await bell(page).and(page.locator('[aria-pressed="false"]')).waitFor();
  await Promise.all([ritaCtx, laptopCtx, phoneCtx, tabletCtx].map((c) => c.close()));
});

test('a message reported in the browser reaches the moderation queue', async () => {
  const [saraCtx, tomCtx] = [await browser.newContext(), await browser.newContext()];
  const sara = await signIn(saraCtx, 'sara');
  const tom = await signIn(tomCtx, 'tom');
  await openChat(tom, 'sara');
  await send(tom, 'win a free cruise, click here');
  await message(tom, 'win a free cruise').locator('[data-status="sent"], [data-status="delivered"]').waitFor();
  // Nobody reports their own message.
  assert.equal(await tom.getByRole('button', { name: 'Report message' }).count(), 0);

  await sara.locator('#conversations button', { hasText: 'tom' }).click();
  mkdirSync(ARTIFACTS, { recursive: true });
  const reported = message(sara, 'win a free cruise');
  await reported.getByRole('button', { name: 'Report message' }).click();
  const dialog = sara.getByRole('dialog', { name: 'Report this message' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Reason').locator('option').count(), 8, 'the eight reasons');
  await dialog.getByLabel('Reason').selectOption('spam');
  await dialog.getByLabel('Note for the moderators (optional)').fill('the third one today');
  await sara.screenshot({ path: path.join(ARTIFACTS, 'chat-report-dialog.png') });
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await sara.locator('#notices', { hasText: 'Reported tom' }).waitFor();
  await dialog.waitFor({ state: 'hidden' });
  await reported.locator('.reported', { hasText: 'Reported' }).waitFor();
  await sara.screenshot({ path: path.join(ARTIFACTS, 'chat-reported.png') });

  // The moderators' queue, through the server API on the devserver's own port.
  const msgId = await reported.getAttribute('data-msg-id');
  const r = await fetch(`${base}/v1/reports?status=open`);
  assert.equal(r.status, 200);
  const { reports } = await r.json();
  const cases = reports.filter((x) => x.copy?.msgId === msgId);
  assert.equal(cases.length, 1, `one case for the message: ${JSON.stringify(reports)}`);
  assert.equal(cases[0].id, msgId);
  assert.equal(cases[0].status, 'open');
  assert.equal(cases[0].copy.from, 'tom');
  assert.equal(cases[0].copy.conversation, 'dm:sara:tom');
  assert.equal(cases[0].copy.body, 'win a free cruise, click here');
  assert.equal(cases[0].reporters, 1);
  assert.deepEqual(cases[0].reasons, { spam: 1 });
  await Promise.all([saraCtx, tomCtx].map((c) => c.close()));
});

/** A message bubble by its own text (a reply's bubble also holds its quote's text); a
 *  string matches part of it, a RegExp as written. */
const bubble = (page, text) => page.locator('#messages .msg', { has: page.locator('.text', { hasText: text }) });

test('a reply and a reaction reach the other browser live and after a reload', async () => {
  const [unaCtx, vicCtx] = [await browser.newContext(), await browser.newContext()];
  const una = await signIn(unaCtx, 'una');
  const vic = await signIn(vicCtx, 'vic');
  await openChat(una, 'vic');
  await send(una, 'where do we meet?');
  await vic.locator('#conversations button', { hasText: 'una' }).click();
  await bubble(vic, 'where do we meet?').getByRole('button', { name: 'Reply to message' }).click();
  await vic.locator('#replying', { hasText: 'Replying to una: where do we meet?' }).waitFor();
  await send(vic, 'at the station, 9 sharp');
  await vic.locator('#replying').waitFor({ state: 'hidden' });

  // Live on una's side: the reply quotes her question.
  const reply = (page) => bubble(page, 'at the station');
  await reply(una).locator('.quote', { hasText: 'where do we meet?' }).waitFor();
  await reply(vic).locator('.quote', { hasText: 'where do we meet?' }).waitFor();

  // Una reacts from the picker; vic sees it live, not as his own.
  await reply(una).getByRole('button', { name: 'React to message' }).click();
  await reply(una).getByRole('button', { name: 'React with 👍' }).click();
  const thumbs = (page) => reply(page).locator('.reaction[data-emoji="👍"]');
  await thumbs(una).and(una.locator('[aria-pressed="true"]', { hasText: '👍 1' })).waitFor();
  await thumbs(vic).and(vic.locator('[aria-pressed="false"]', { hasText: '👍 1' })).waitFor();
  // Vic adds his by clicking the count: two, his highlighted on his side only.
  await thumbs(vic).click();
  await thumbs(vic).and(vic.locator('[aria-pressed="true"]', { hasText: '👍 2' })).waitFor();
  await thumbs(una).and(una.locator('[aria-pressed="true"]', { hasText: '👍 2' })).waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await una.screenshot({ path: path.join(ARTIFACTS, 'chat-reply-reaction.png') });

  // After a reload both come back from history, the reaction counted once.
  for (const [page, peer] of [[una, 'vic'], [vic, 'una']]) {
    await page.reload();
    await page.locator('#status.online').waitFor();
    await page.locator('#conversations button', { hasText: peer }).click();
    await reply(page).locator('.quote', { hasText: 'where do we meet?' }).waitFor();
    await thumbs(page).and(page.locator('[aria-pressed="true"]', { hasText: '👍 2' })).waitFor();
    assert.equal(await reply(page).locator('.reaction').count(), 1);
  }
  // Taking it back shows on the other side.
  await thumbs(una).click();
  await thumbs(una).and(una.locator('[aria-pressed="false"]', { hasText: '👍 1' })).waitFor();
  await thumbs(vic).and(vic.locator('[aria-pressed="true"]', { hasText: '👍 1' })).waitFor();
  await Promise.all([unaCtx, vicCtx].map((c) => c.close()));
});

test('a quote whose original is older than the loaded page jumps to it, loading the history around it', async () => {
  const [wesCtx, xanCtx] = [await browser.newContext(), await browser.newContext({ viewport: { width: 1000, height: 700 } })];
  const wes = await signIn(wesCtx, 'wes');
  const xan = await signIn(xanCtx, 'xan');
  await openChat(wes, 'xan');
  await send(wes, 'the original question');
  for (let i = 1; i <= 55; i++) await send(wes, `filler ${i}`);
  const acked = '[data-status="sent"], [data-status="delivered"], [data-status="read"]';
  await bubble(wes, 'filler 55').locator(acked).waitFor({ timeout: 30_000 });
  await bubble(wes, 'the original question').getByRole('button', { name: 'Reply to message' }).click();
  await send(wes, 'answering the first one');
  await bubble(wes, 'answering the first one').locator(acked).waitFor();

  // Xan got them live; after a reload the conversation opens with its newest 50 only.
  await xan.locator('#conversations button', { hasText: 'wes' }).locator('.preview', { hasText: 'answering the first one' }).waitFor();
  await xan.reload();
  await xan.locator('#status.online').waitFor();
  await xan.locator('#conversations button', { hasText: 'wes' }).click();
  const answer = bubble(xan, 'answering the first one');
  await answer.waitFor();
  await bubble(xan, /^filler 10$/).waitFor();
  assert.equal(await bubble(xan, 'the original question').count(), 0, 'not loaded yet');
  assert.equal(await bubble(xan, /^filler 1$/).count(), 0, 'nor what is around it');

  await answer.locator('.quote', { hasText: 'the original question' }).click();
  const original = bubble(xan, 'the original question');
  await original.and(xan.locator('.flash')).waitFor();
  // In view in the message list, and focused.
  const [box, list] = [await original.boundingBox(), await xan.locator('#messages').boundingBox()];
  assert.ok(box.y >= list.y && box.y + box.height <= list.y + list.height, `in view: ${JSON.stringify({ box, list })}`);
  assert.equal(await original.evaluate((el) => el === document.activeElement), true);
  // The page around it joined what was loaded: every message once, in order.
  await bubble(xan, /^filler 1$/).waitFor();
  const texts = await xan.locator('#messages .msg .text').allTextContents();
  const fillers = texts.filter((t) => t.startsWith('filler ')).map((t) => Number(t.slice(7)));
  assert.deepEqual(fillers, [...Array(55).keys()].map((i) => i + 1), 'no gap, nothing twice');
  assert.equal(texts[0], 'the original question');
  assert.equal(await xan.locator('#messages .gap').count(), 0);
  await xan.screenshot({ path: path.join(ARTIFACTS, 'chat-jump.png') });
  await Promise.all([wesCtx, xanCtx].map((c) => c.close()));
});

test('@name completion in a group: the mention is highlighted, badged in the list, and opens there', async () => {
  const ctxs = await Promise.all([1, 2, 3].map(() => browser.newContext()));
  const [yara, zed, abe] = await Promise.all(['yara', 'zed', 'abe'].map((u, i) => signIn(ctxs[i], u)));
  await yara.getByLabel('New group').fill('book club');
  await yara.getByLabel('Members').fill('zed, abe');
  await yara.getByRole('button', { name: 'Create' }).click();
  await yara.locator('#conversations button', { hasText: 'book club' }).click();
  await send(yara, 'next book: dune');
  // Yara looks at another conversation: the mention arrives unread.
  await openChat(yara, 'abe');

  await zed.locator('#conversations button', { hasText: 'book club' }).click();
  await bubble(zed, 'next book: dune').waitFor();
  await zed.locator('#body').pressSequentially('great pick @ya');
  const option = zed.getByRole('option', { name: '@yara' });
  await option.waitFor();
  assert.equal(await zed.getByRole('option').count(), 1, 'only the members whose name fits');
  await zed.locator('#body').press('Enter');
  assert.equal(await zed.locator('#body').inputValue(), 'great pick @yara ', 'the name completed, not sent');
  await zed.locator('#body').pressSequentially('see you thursday');
  await zed.locator('#body').press('Enter');
  await bubble(zed, 'see you thursday').locator('.mention', { hasText: '@yara' }).waitFor();

  // Yara: a mention badge on the group, live.
  const group = (page) => page.locator('#conversations button', { hasText: 'book club' });
  await group(yara).locator('.mention-badge', { hasText: '@1' }).waitFor();
  // Abe sees the mention marked, not as his.
  await group(abe).click();
  await bubble(abe, 'see you thursday').locator('.mention:not(.me)', { hasText: '@yara' }).waitFor();
  assert.equal(await group(abe).locator('.mention-badge').count(), 0);

  // After a reload the badge comes from the server's list; opening clears it.
  await yara.reload();
  await yara.locator('#status.online').waitFor();
  await group(yara).locator('.mention-badge', { hasText: '@1' }).waitFor();
  await group(yara).click();
  const mentioned = bubble(yara, 'see you thursday');
  await mentioned.locator('.mention.me', { hasText: '@yara' }).waitFor();
  assert.ok((await mentioned.getAttribute('class')).includes('mentions-me'));
  await group(yara).locator('.mention-badge').waitFor({ state: 'detached' });
  mkdirSync(ARTIFACTS, { recursive: true });
  await yara.screenshot({ path: path.join(ARTIFACTS, 'chat-mention.png') });
  await Promise.all(ctxs.map((c) => c.close()));
});

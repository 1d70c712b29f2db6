// chat.test.js - the chat demo (examples/chat) in a real browser: Debian's
// chromium (/usr/bin/chromium) driven headless by playwright-core, which
// never downloads a browser.  The same page runs against each server
// variant (server.js, server.py), each started on a free port of 127.0.0.1:
//
//   three users pick nicknames and see each other online; a room's messages
//   reach only its members (a join notice reaches the others but not the
//   one who joined); a direct message reaches only its target and comes back
//   "delivered"; user text is shown as text, never parsed as HTML; the
//   server is restarted on the same port and every page's badge goes
//   reconnecting -> reconnected -> connected (read from the DOM), the pages
//   rejoin their rooms and chat again.
//
// Screenshots of the final state (and of every page when a test fails) are
// written to $SIOC_TEST_OUTPUT (default build/test-output/browser/) and
// their paths printed.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { ROOT, ChatServer, startChat } = require('./servers');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.SIOC_TEST_OUTPUT || path.join(ROOT, 'build', 'test-output', 'browser');
const WAIT_MS = 15000;
// As root in a container: no sandbox, no GPU, nothing that phones home.
// playwright's launch() adds a fresh --user-data-dir of its own (a new
// temporary profile for every launch, removed by browser.close()).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

// ---- page helpers: everything is read from the DOM --------------------------------

async function login(page, url, nick) {
  await page.goto(url);
  assert.strictEqual(await page.getAttribute('#badge', 'data-state'), 'offline');
  await page.fill('#nick', nick);
  await page.click('#login-form button');
  await page.waitForSelector('#badge[data-state="connected"]', { timeout: WAIT_MS });
  await page.waitForSelector('#chat', { state: 'visible', timeout: WAIT_MS });
  assert.strictEqual(await page.textContent('#me strong'), nick);
}

async function say(page, text) {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

/** Waits until the log of `channel` shows a message `text` (from `from`). */
function waitMessage(page, channel, text, from) {
  return page.waitForFunction(([ch, t, f]) => [...document.querySelectorAll('.log')]
    .filter((log) => log.dataset.channel === ch)
    .flatMap((log) => [...log.querySelectorAll('li.message')])
    .some((li) => li.querySelector('.text').textContent === t && (!f || li.dataset.from === f)),
  [channel, text, from], { timeout: WAIT_MS });
}

/** Waits until the log of `channel` shows a notice: the text, or one matching a RegExp. */
function waitNotice(page, channel, text) {
  const [src, flags] = text instanceof RegExp ? [text.source, text.flags] : [null, null];
  return page.waitForFunction(([ch, t, re, fl]) => [...document.querySelectorAll('.log')]
    .filter((log) => log.dataset.channel === ch)
    .some((log) => [...log.querySelectorAll('li.notice')].some((li) =>
      (re === null ? li.textContent === t : new RegExp(re, fl).test(li.textContent)))),
  [channel, typeof text === 'string' ? text : null, src, flags], { timeout: WAIT_MS });
}

/** Anywhere in the page, shown or not (hidden channels included). */
const pageHas = (page, text) => page.evaluate((t) => document.body.textContent.includes(t), text);
const channels = (page) => page.$$eval('#channels li', (lis) => lis.map((li) => li.dataset.channel));
const onlineNicks = (page) => page.$$eval('#users li', (lis) => lis.map((li) => li.dataset.nick));

function waitOnline(page, nicks) {
  return page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('#users li')]
    .map((li) => li.dataset.nick)) === JSON.stringify(want), nicks, { timeout: WAIT_MS });
}

function waitRoomMembers(page, room, nicks) {
  return page.waitForFunction(([r, want]) => {
    const li = [...document.querySelectorAll('#rooms li')].find((x) => x.dataset.room === r);
    return li && li.querySelector('.members').textContent === want.join(', ');
  }, [room, nicks], { timeout: WAIT_MS });
}

/** Records every data-state the badge takes from now on, in the page. */
function watchBadge(page) {
  return page.evaluate(() => {
    const badge = document.getElementById('badge');
    window.__badgeStates = [badge.dataset.state];
    new MutationObserver(() => {
      const s = badge.dataset.state;
      if (window.__badgeStates[window.__badgeStates.length - 1] !== s) window.__badgeStates.push(s);
    }).observe(badge, { attributes: true, attributeFilter: ['data-state'] });
  });
}

// ---- the test, once per server variant ----------------------------------------------

// Screenshots of an earlier run would pass for this one's.
fs.mkdirSync(OUT, { recursive: true });
for (const f of fs.readdirSync(OUT)) if (/^(node|python)-.*\.png$/.test(f)) fs.rmSync(path.join(OUT, f));

for (const variant of ['node', 'python']) {
  describe(`chat demo in chromium against server.${variant === 'node' ? 'js' : 'py'}`, function () {
    this.timeout(120000);
    let server;
    let browser;
    const pages = {};

    before(async () => {
      server = await startChat(variant);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
        args: CHROMIUM_ARGS, timeout: 30000 });
      for (const nick of ['alice', 'bob', 'carol']) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
        const page = await context.newPage();
        page.setDefaultTimeout(WAIT_MS);
        page.on('pageerror', (err) => { page.__errors = (page.__errors || []).concat(String(err)); });
        pages[nick] = page;
      }
    });

    afterEach(async function () {
      if (this.currentTest.state !== 'failed') return;
      for (const [nick, page] of Object.entries(pages)) {
        const file = path.join(OUT, `${variant}-FAILED-${nick}.png`);
        await page.screenshot({ path: file }).then(() => console.log(`      screenshot: ${file}`), () => {});
      }
    });

    after(async () => {
      if (browser) await browser.close().catch(() => {});
      if (server) await server.stop();
    });

    it('three users pick nicknames and see each other online', async () => {
      const { alice, bob, carol } = pages;
      await login(alice, server.url, 'alice');
      await login(bob, server.url, 'bob');
      await login(carol, server.url, 'carol');
      for (const page of [alice, bob, carol]) await waitOnline(page, ['alice', 'bob', 'carol']);
      assert.deepStrictEqual(await onlineNicks(alice), ['alice', 'bob', 'carol']);
      await waitNotice(alice, 'lobby', 'carol joined the chat');
      await say(alice, 'hello from alice');
      for (const page of [alice, bob, carol]) await waitMessage(page, 'lobby', 'hello from alice', 'alice');
      // the footer's figures come from the /stats namespace
      await carol.waitForFunction(() => /^3 online · 0 rooms · 1 message · server: sioc on (Node|Python)/
        .test(document.getElementById('stats').textContent), null, { timeout: WAIT_MS });
      assert.strictEqual(await carol.getAttribute('#stats', 'data-server'), variant);
    });

    it('user text is shown as text, never parsed as HTML', async () => {
      const { alice, bob, carol } = pages;
      const evil = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
      await say(carol, evil);
      for (const page of [alice, bob, carol]) {
        await waitMessage(page, 'lobby', evil, 'carol');
        assert.strictEqual(await page.evaluate(() => window.__pwned), undefined);
        assert.strictEqual(await page.$$eval('.log img, .log b', (els) => els.length), 0);
      }
    });

    it('room messages reach only the room', async () => {
      const { alice, bob, carol } = pages;
      await alice.fill('#room-input', 'Dev');
      await alice.press('#room-input', 'Enter');
      await waitNotice(alice, '#dev', 'you joined #dev · in the room: alice');
      assert.strictEqual(await alice.textContent('#conv-title'), '#dev');
      for (const page of [alice, bob, carol]) await waitRoomMembers(page, '#dev', ['alice']);
      for (const page of [bob, carol]) await waitNotice(page, 'lobby', 'alice opened #dev');
      await say(alice, 'secret plans');
      await waitMessage(alice, '#dev', 'secret plans', 'alice');
      // a lobby message sent after it reaches bob and carol after it would have
      await alice.click('#channels li[data-channel="lobby"]');
      await say(alice, 'anyone in #dev?');
      for (const page of [bob, carol]) {
        await waitMessage(page, 'lobby', 'anyone in #dev?', 'alice');
        assert.strictEqual(await pageHas(page, 'secret plans'), false);
        assert.deepStrictEqual(await channels(page), ['lobby']);
      }

      // bob joins from the room directory: alice hears of it, bob does not
      await bob.click('#rooms li[data-room="#dev"] button');
      await waitNotice(bob, '#dev', 'you joined #dev · in the room: alice, bob');
      await waitNotice(alice, '#dev', 'bob joined #dev');
      assert.strictEqual(await pageHas(bob, 'bob joined #dev'), false);
      for (const page of [alice, bob, carol]) await waitRoomMembers(page, '#dev', ['alice', 'bob']);
      await say(bob, 'hi dev');
      await waitMessage(alice, '#dev', 'hi dev', 'bob');
      await waitMessage(bob, '#dev', 'hi dev', 'bob');
      // alice, not looking at #dev, gets an unread count
      assert.strictEqual(await alice.textContent('#channels li[data-channel="#dev"] .unread'), '1');

      // typing in the room shows at the other member (volatile)
      await alice.click('#channels li[data-channel="#dev"]');
      await bob.type('#message-input', 'typ');
      await alice.waitForFunction(() => document.getElementById('typing').textContent === 'bob is typing…',
        null, { timeout: WAIT_MS });
      await bob.fill('#message-input', '');

      await bob.click('#channels li[data-channel="lobby"]');
      await say(bob, 'carol, you are not in #dev');
      await waitMessage(carol, 'lobby', 'carol, you are not in #dev', 'bob');
      assert.strictEqual(await pageHas(carol, 'hi dev'), false);
      assert.strictEqual(await pageHas(carol, 'bob joined #dev'), false);
    });

    it('a direct message reaches only its target', async () => {
      const { alice, bob, carol } = pages;
      await carol.click('#users li[data-nick="alice"] .dm-button');
      assert.strictEqual(await carol.textContent('#conv-title'), '@alice');
      await say(carol, 'psst, alice');
      await waitMessage(alice, '@carol', 'psst, alice', 'carol');
      await carol.waitForSelector('.log[data-channel="@alice"] li.message.delivered .receipt', { timeout: WAIT_MS });
      assert.strictEqual(await carol.textContent('.log[data-channel="@alice"] li.message .receipt'), '✓ delivered');
      assert.deepStrictEqual(await channels(alice), ['lobby', '#dev', '@carol']);
      await carol.click('#channels li[data-channel="lobby"]');
      await say(carol, 'after the secret');
      await waitMessage(bob, 'lobby', 'after the secret', 'carol');
      assert.strictEqual(await pageHas(bob, 'psst, alice'), false);

      // whois: the server pings alice (an ack) and answers with her rooms
      await bob.click('#users li[data-nick="alice"] .info-button');
      await bob.waitForFunction(() => /answers a ping in \d+ ms/.test(document.getElementById('whois').textContent),
        null, { timeout: WAIT_MS });
      assert.ok((await bob.textContent('#whois')).includes('in #dev'));
      await waitNotice(alice, 'lobby', 'bob looked you up');
    });

    it('the server restarts: pages show reconnecting, then connected, and chat again', async () => {
      const { alice, bob, carol } = pages;
      for (const page of Object.values(pages)) await watchBadge(page);
      const port = server.port;
      await server.stop();
      for (const page of Object.values(pages)) {
        await page.waitForSelector('#badge[data-state="reconnecting"]', { timeout: WAIT_MS });
        assert.match(await page.textContent('#badge'), /^reconnecting…/);
      }
      server = await new ChatServer(variant, port).start();
      for (const page of Object.values(pages)) {
        await page.waitForSelector('#badge[data-state="connected"]', { timeout: WAIT_MS + 10000 });
        const states = await page.evaluate(() => window.__badgeStates);
        assert.deepStrictEqual(states.filter((s, i) => i === 0 || s !== 'reconnecting' || states[i - 1] !== s),
          ['connected', 'reconnecting', 'reconnected', 'connected'], JSON.stringify(states));
      }
      for (const page of [alice, bob, carol]) await waitOnline(page, ['alice', 'bob', 'carol']);
      // alice and bob rejoined #dev by themselves; the server lists them again
      for (const page of [alice, bob, carol]) await waitRoomMembers(page, '#dev', ['alice', 'bob']);
      for (const page of [alice, bob]) await waitNotice(page, '#dev', /^rejoined #dev · in the room: /);

      await say(carol, 'back again');
      for (const page of [alice, bob, carol]) await waitMessage(page, 'lobby', 'back again', 'carol');
      await bob.click('#channels li[data-channel="#dev"]');
      await say(bob, 'dev is back');
      await waitMessage(alice, '#dev', 'dev is back', 'bob');
      await carol.click('#channels li[data-channel="@alice"]');
      await say(carol, 'still there?');
      await waitMessage(alice, '@carol', 'still there?', 'carol');
      await carol.waitForFunction(() => [...document.querySelectorAll('.log[data-channel="@alice"] li.message')]
        .some((li) => li.querySelector('.text').textContent === 'still there?' && li.classList.contains('delivered')),
      null, { timeout: WAIT_MS });
      assert.strictEqual(await pageHas(bob, 'still there?'), false);
      // bob leaves #dev with the button: alice hears of it, the directory shrinks
      await bob.click('#channels li[data-channel="#dev"]');
      await bob.click('#leave-room');
      await waitNotice(alice, '#dev', 'bob left #dev');
      for (const page of [alice, bob, carol]) await waitRoomMembers(page, '#dev', ['alice']);
      assert.deepStrictEqual(await channels(bob), ['lobby']);
      for (const page of Object.values(pages)) assert.deepStrictEqual(page.__errors || [], []);

      // the final state, as a person would see it
      await alice.click('#channels li[data-channel="#dev"]');
      for (const [nick, page] of Object.entries(pages)) {
        const file = path.join(OUT, `${variant}-${nick}.png`);
        await page.screenshot({ path: file });
        console.log(`      screenshot: ${file}`);
      }
    });
  });
}

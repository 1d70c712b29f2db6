// app.js - the chat page: plain DOM and the socket.io-client bundle that the
// server serves at /socket.io/socket.io.min.js (no build step).
//
// Everything the page lists (who is online, the rooms and their members,
// the rooms this user is in) comes from the server, which answers from its
// room queries.  User text reaches the page only as text nodes (el() and
// textContent), never as HTML.
'use strict';

(() => {
  const $ = (sel) => document.querySelector(sel);

  /** el('li', {class: 'x', 'data-id': id}, 'text', child...): children are
   * elements or strings; strings become text nodes, so they are never parsed. */
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-') || k === 'title' || k === 'type') e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

  function colorOf(nick) {
    let h = 0;
    for (const ch of nick) h = (h * 31 + ch.codePointAt(0)) % 360;
    return `hsl(${h}, 55%, 38%)`;
  }

  function randomToken() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // ---- state: what the server told us ------------------------------------------------

  const state = {
    nick: localStorage.getItem('sioc-chat-nick') || '',
    me: null,            // {id, nick} from 'welcome'
    rooms: [],           // this socket's rooms, from the server's join/leave answers
    users: [],           // from 'users'
    current: 'lobby',    // the channel shown
    channels: new Map(), // key ('lobby', '#room', '@nick') -> channel
    delivered: new Map(),// dm id -> delivered, when the receipt beats the message
  };

  // ---- channels: the lobby, rooms and direct conversations ----------------------------

  function channel(key) {
    let ch = state.channels.get(key);
    if (ch) return ch;
    const kind = key === 'lobby' ? 'lobby' : key.startsWith('#') ? 'room' : 'dm';
    ch = { key, kind, unread: 0, typing: new Map() };
    ch.log = el('ol', { class: 'log', 'data-channel': key, hidden: true });
    ch.unreadEl = el('span', { class: 'unread', hidden: true });
    ch.item = el('li', { 'data-channel': key, class: `channel ${kind}` },
      el('span', { class: 'channel-name' }, kind === 'lobby' ? 'Lobby' : key), ch.unreadEl);
    ch.item.addEventListener('click', () => select(key));
    state.channels.set(key, ch);
    $('#logs').append(ch.log);
    sortChannels();
    return ch;
  }

  function sortChannels() {
    const rank = { lobby: 0, room: 1, dm: 2 };
    const list = [...state.channels.values()].sort((a, b) =>
      rank[a.kind] - rank[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    $('#channels').replaceChildren(...list.map((c) => c.item));
  }

  function removeChannel(key) {
    const ch = state.channels.get(key);
    if (!ch || key === 'lobby') return;
    ch.log.remove();
    ch.item.remove();
    state.channels.delete(key);
    if (state.current === key) select('lobby');
  }

  function select(key) {
    const ch = channel(key);
    state.current = key;
    for (const c of state.channels.values()) {
      c.log.hidden = c !== ch;
      c.item.classList.toggle('active', c === ch);
    }
    ch.unread = 0;
    ch.unreadEl.hidden = true;
    $('#conv-title').textContent = ch.kind === 'lobby' ? 'Lobby' : key;
    $('#leave-room').hidden = ch.kind !== 'room' || !state.rooms.includes(key);
    $('#message-input').placeholder = ch.kind === 'lobby' ? 'Message the lobby'
      : ch.kind === 'room' ? `Message ${key}` : `Message ${key.slice(1)} privately`;
    renderSubtitle();
    renderTyping();
    ch.log.scrollTop = ch.log.scrollHeight;
    $('#message-input').focus();
  }

  function renderSubtitle() {
    const ch = state.channels.get(state.current);
    let sub = 'everyone online';
    if (ch.kind === 'room') {
      const info = lastRooms.find((r) => r.name === ch.key);
      const names = info ? info.members.map((m) => m.nick) : [];
      sub = names.length ? `${names.length} in the room: ${names.join(', ')}` : 'nobody here';
    } else if (ch.kind === 'dm') {
      sub = idOfNick(ch.key.slice(1)) ? 'direct message · online' : 'direct message · offline';
    }
    $('#conv-sub').textContent = sub;
  }

  /** Adds a line to a channel's log; messages (not notices) count as unread. */
  function append(key, node, unread) {
    const ch = channel(key);
    const atBottom = ch.log.scrollHeight - ch.log.scrollTop - ch.log.clientHeight < 40;
    ch.log.append(node);
    if (atBottom || key === state.current) ch.log.scrollTop = ch.log.scrollHeight;
    if (unread && key !== state.current) {
      ch.unread += 1;
      ch.unreadEl.textContent = String(ch.unread);
      ch.unreadEl.hidden = false;
    }
  }

  function addMessage(key, m) {
    const mine = state.me && m.from.id === state.me.id;
    const li = el('li', { class: `message ${m.kind}${mine ? ' mine' : ''}`, 'data-id': m.id,
      'data-from': m.from.nick },
    el('div', { class: 'meta' },
      el('span', { class: 'nick', style: `color: ${colorOf(m.from.nick)}` }, m.from.nick),
      m.kind === 'dm' ? el('span', { class: 'tag' }, mine ? `to ${m.to.nick}` : 'private') : null,
      el('time', { class: 'time' }, hhmm(m.time)),
      m.kind === 'dm' && mine ? el('span', { class: 'receipt' }, 'sending…') : null),
    el('div', { class: 'text' }, m.text));
    append(key, li, true);
    if (state.delivered.has(m.id)) markDelivered(m.id, state.delivered.get(m.id));
  }

  function addNotice(key, text, level) {
    append(key, el('li', { class: `notice ${level || 'info'}` }, text));
  }

  function markDelivered(id, delivered) {
    const li = document.querySelector(`li.message.dm[data-id="${CSS.escape(id)}"]`);
    if (!li) {
      state.delivered.set(id, delivered);
      return;
    }
    state.delivered.delete(id);
    li.classList.add(delivered ? 'delivered' : 'undelivered');
    const r = li.querySelector('.receipt');
    if (r) r.textContent = delivered ? '✓ delivered' : 'not delivered';
  }

  // ---- typing ("volatile": lost rather than late) --------------------------------------

  function renderTyping() {
    const ch = state.channels.get(state.current);
    const names = ch ? [...ch.typing.keys()] : [];
    $('#typing').textContent = names.length === 0 ? ''
      : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  }

  function showTyping(key, nick) {
    const ch = channel(key);
    clearTimeout(ch.typing.get(nick));
    ch.typing.set(nick, setTimeout(() => {
      ch.typing.delete(nick);
      renderTyping();
    }, 3000));
    renderTyping();
  }

  // ---- the connection badge --------------------------------------------------------------

  const badge = $('#badge');
  let settleTimer = null;
  function setBadge(s, text) {
    clearTimeout(settleTimer);
    badge.dataset.state = s;
    badge.textContent = text || s;
  }

  // ---- the sockets -------------------------------------------------------------------------

  // auth is a function: asked again on every (re)connection attempt.
  const token = randomToken();
  const socket = io({ autoConnect: false, auth: (cb) => cb({ nick: state.nick, token }) });
  // A second namespace over the same connection (one Manager): live figures.
  // The Manager was made with autoConnect: false, so connect it explicitly.
  const statsSocket = io('/stats');
  statsSocket.connect();

  socket.on('connect', () => {
    if (badge.dataset.state === 'reconnecting' || badge.dataset.state === 'reconnected') {
      setBadge('reconnected');
      settleTimer = setTimeout(() => setBadge('connected'), 2000);
    } else {
      setBadge('connected');
    }
  });
  socket.io.on('reconnect_attempt', (n) => setBadge('reconnecting', `reconnecting… (${n})`));
  socket.io.on('reconnect', () => setBadge('reconnected'));
  socket.on('disconnect', (reason) => {
    if (socket.active) {
      setBadge('reconnecting', 'reconnecting…');
    } else {
      setBadge('offline', 'disconnected');
      $('#login-form button').disabled = false;
    }
    addNotice('lobby', `connection lost (${reason})`, reason === 'io client disconnect' ? 'info' : 'error');
  });
  socket.on('connect_error', (err) => {
    if (socket.active) return;        // the manager retries by itself
    // refused by the server's middleware (err.data says which field)
    setBadge('offline');
    showLogin(err.message);
  });

  socket.on('welcome', (w) => {
    state.me = { id: w.id, nick: w.nick };
    $('#me').replaceChildren('signed in as ', el('strong', {}, w.nick));
    $('#me').hidden = false;
    heartbeat = w.heartbeat;
    showChat();
    // A new connection is a new socket on the server, in no room yet.
    const again = state.rooms;
    state.rooms = [];
    for (const room of again) joinRoom(room, true);
  });

  socket.on('users', (users) => {
    state.users = users;
    $('#online-count').textContent = String(users.length);
    $('#users').replaceChildren(...users.map((u) => {
      const isMe = state.me && u.id === state.me.id;
      const li = el('li', { 'data-id': u.id, 'data-nick': u.nick, class: isMe ? 'user me' : 'user' },
        el('span', { class: 'avatar', style: `background: ${colorOf(u.nick)}` }, [...u.nick][0].toUpperCase()),
        el('span', { class: 'who' }, el('span', { class: 'nick' }, u.nick),
          el('span', { class: 'since' }, isMe ? 'you' : `since ${hhmm(u.since)}`)),
        isMe ? null : el('button', { type: 'button', class: 'dm-button', title: `message ${u.nick}` }, 'DM'),
        el('button', { type: 'button', class: 'info-button secondary', title: `about ${u.nick}` }, 'Info'));
      const dmButton = li.querySelector('.dm-button');
      if (dmButton) dmButton.addEventListener('click', () => select('@' + u.nick));
      li.querySelector('.info-button').addEventListener('click', () => whois(u.id));
      return li;
    }));
    renderSubtitle();
  });

  let lastRooms = [];
  socket.on('rooms', (rooms) => {
    lastRooms = rooms;
    renderRooms();
  });

  /** The room directory: the server's last 'rooms', "Join" where this user is not in. */
  function renderRooms() {
    const items = lastRooms.map((r) => {
      const mine = state.rooms.includes(r.name);
      const li = el('li', { 'data-room': r.name, class: 'room-entry' },
        el('div', { class: 'room-line' }, el('span', { class: 'room-name' }, r.name),
          el('span', { class: 'count' }, String(r.members.length)),
          mine ? null : el('button', { type: 'button', class: 'secondary' }, 'Join')),
        el('div', { class: 'members' }, r.members.map((m) => m.nick).join(', ')));
      const b = li.querySelector('button');
      if (b) b.addEventListener('click', () => joinRoom(r.name));
      return li;
    });
    $('#rooms').replaceChildren(...(items.length ? items : [el('li', { class: 'empty' }, 'no rooms yet')]));
    renderSubtitle();
  }

  socket.on('message', (m) => addMessage(m.kind === 'room' ? m.room : 'lobby', m));

  socket.on('dm', (m, ack) => {
    const peer = state.me && m.from.id === state.me.id ? m.to : m.from;
    addMessage('@' + peer.nick, m);
    if (ack) ack('seen');             // the sender's receipt
  });
  socket.on('dm:delivered', (r) => markDelivered(r.id, r.delivered));

  socket.on('notice', (n) => addNotice(n.level === 'error' ? state.current : n.room || 'lobby', n.text, n.level));

  socket.on('typing', (t) => showTyping(t.where === 'lobby' ? 'lobby' : t.where, t.from.nick));

  socket.on('whois:ping', (p, ack) => {
    if (ack) ack('pong');
    addNotice('lobby', `${p.from.nick} looked you up`);
  });

  let heartbeat = null;
  statsSocket.on('stats', (s) => {
    const parts = [`${s.users} online`, `${s.rooms} ${s.rooms === 1 ? 'room' : 'rooms'}`,
      `${s.messages} ${s.messages === 1 ? 'message' : 'messages'}`,
      `server: sioc on ${s.server === 'node' ? 'Node' : 'Python'}, up since ${hhmm(s.started)}`];
    if (heartbeat) parts.push(`heartbeat ${heartbeat / 1000} s`);
    $('#stats').textContent = parts.join(' · ');
    $('#stats').dataset.server = s.server;
  });
  statsSocket.on('disconnect', () => { $('#stats').textContent = 'server unreachable…'; });

  // ---- requests: every one gets an answer, or "no answer" after 5 s --------------------------

  function request(event, payload) {
    return new Promise((resolve) => {
      socket.timeout(5000).emit(event, payload, (err, res) =>
        resolve(err ? { ok: false, error: 'no answer from the server' } : res));
    });
  }

  async function joinRoom(name, quiet) {
    const res = await request('room:join', name);
    if (!res.ok) {
      addNotice(state.current, `cannot join ${name}: ${res.error}`, 'error');
      return;
    }
    state.rooms = res.rooms;
    renderRooms();
    channel(res.room);
    const names = res.members.map((m) => m.nick).join(', ');
    addNotice(res.room, `${quiet ? 'rejoined' : 'you joined'} ${res.room} · in the room: ${names}`);
    if (!quiet) select(res.room);
  }

  async function leaveRoom(name) {
    const res = await request('room:leave', name);
    if (!res.ok) {
      addNotice(state.current, res.error, 'error');
      return;
    }
    state.rooms = res.rooms;
    renderRooms();
    removeChannel(name);
  }

  function idOfNick(nick) {
    const u = state.users.find((x) => x.nick === nick);
    return u ? u.id : null;
  }

  async function whois(id) {
    const res = await request('whois', id);
    const box = $('#whois');
    box.hidden = false;
    if (!res.ok) {
      box.replaceChildren(el('p', { class: 'error' }, res.error));
      return;
    }
    const u = res.user;
    box.replaceChildren(
      el('h3', {}, u.nick),
      el('p', {}, `online since ${hhmm(u.since)}`),
      el('p', {}, u.rooms.length ? `in ${u.rooms.join(', ')}` : 'in no room'),
      el('p', {}, u.rtt === null ? 'did not answer a ping' : `answers a ping in ${u.rtt} ms`),
      el('p', { class: 'sub' }, `socket id ${u.id}`));
  }

  // ---- the forms ---------------------------------------------------------------------------------

  function showLogin(error) {
    $('#login').hidden = false;
    $('#chat').hidden = true;
    $('#login-form button').disabled = false;
    $('#login-error').textContent = error || '';
    $('#login-error').hidden = !error;
    $('#nick').focus();
  }

  function showChat() {
    $('#login').hidden = true;
    $('#chat').hidden = false;
    if (!state.channels.has(state.current)) state.current = 'lobby';
    select(state.current);
  }

  $('#nick').value = state.nick;
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const nick = $('#nick').value.trim();
    if (!nick) return;
    state.nick = nick;
    localStorage.setItem('sioc-chat-nick', nick);
    $('#login-error').hidden = true;
    $('#login-form button').disabled = true;
    setBadge('connecting', 'connecting…');
    socket.connect();
  });

  $('#join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('#room-input').value.trim();
    if (!name) return;
    $('#room-input').value = '';
    joinRoom(name);
  });

  $('#leave-room').addEventListener('click', () => leaveRoom(state.current));

  let lastTyping = 0;
  $('#message-input').addEventListener('input', () => {
    const ch = state.channels.get(state.current);
    if (!ch || ch.kind === 'dm' || !socket.connected || Date.now() - lastTyping < 1500) return;
    lastTyping = Date.now();
    socket.volatile.emit('typing', { where: ch.key });
  });

  $('#composer').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#message-input');
    const text = input.value;
    if (!text.trim()) return;
    const key = state.current;
    const ch = channel(key);
    input.value = '';
    let res;
    if (ch.kind === 'lobby') {
      res = await request('lobby:message', text);
    } else if (ch.kind === 'room') {
      res = await request('room:message', { room: key, text });
    } else {
      const to = idOfNick(key.slice(1));
      res = to ? await request('dm', { to, text }) : { ok: false, error: `${key.slice(1)} is offline` };
      if (res.ok) addMessage(key, res.message);
    }
    lastTyping = 0;
    if (!res.ok) {
      addNotice(key, `not sent: ${res.error}`, 'error');
      if (!input.value) input.value = text;
    }
  });

  channel('lobby');
  select('lobby');
  showLogin();
})();

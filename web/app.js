// mediagate demo page: sign in as a dev user, upload straight to S3 with a presigned PUT, and
// see galleries through CloudFront signed URLs (or signed cookies). No framework, no build step,
// nothing loaded from anywhere but this server.
//
// Server contract used here: POST /dev/token, POST /graphql, POST /cookies, GET /edge/… (the
// local CloudFront edge on embedded defaults), and a presigned PUT/DELETE to the S3 server.
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);

  // ---- state -------------------------------------------------------------------------------
  const TOKEN_KEY = 'mediagate.demo.token';
  const PAGE_SIZE = 24;
  const DEV_TOKENS_OFF =
    'dev tokens are only available when mediagate runs on its embedded defaults';
  // Headers a page may not set on a request (the browser sets them itself).
  const FORBIDDEN_HEADERS = new Set([
    'content-length', 'host', 'connection', 'keep-alive', 'transfer-encoding', 'expect',
    'te', 'trailer', 'upgrade', 'date', 'origin', 'referer', 'cookie', 'cookie2', 'via',
  ]);

  const state = {
    token: null,
    viewer: null, // { id, username }
    shown: [], // other users whose galleries are on the page, remembered per viewer
    friends: new Set(), // users the API said are friends (User.isFriend), refreshed with each gallery
    cookieMode: false,
    cookieExpiresAt: 0, // epoch s
    cookieTimer: 0,
    galleries: new Map(), // userId -> gallery record (see makeGallery)
    skewMs: 0, // server clock minus ours, from the Date header (only used when large)
    busy: 0,
  };

  // The token is kept for this tab only (sessionStorage): a page that keeps a bearer token in
  // localStorage hands it to every later visitor of the profile.
  const store = {
    get(key, fallback) {
      try {
        const v = localStorage.getItem(key);
        return v === null ? fallback : JSON.parse(v);
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(key, JSON.stringify(value));
      } catch {
        /* private mode: nothing is remembered */
      }
    },
    token() {
      try {
        return sessionStorage.getItem(TOKEN_KEY);
      } catch {
        return null;
      }
    },
    setToken(token) {
      try {
        if (token) sessionStorage.setItem(TOKEN_KEY, token);
        else sessionStorage.removeItem(TOKEN_KEY);
      } catch {
        /* ignore */
      }
    },
  };

  const shownKey = () => `mediagate.demo.shown.${state.viewer.id}`;
  const saveLists = () => {
    store.set(shownKey(), state.shown);
  };

  // ---- messages ------------------------------------------------------------------------------
  const ui = {
    error: $('#error'),
    errorBanner: $('#error-banner'),
    status: $('#status'),
  };

  function showError(err) {
    const code = err && err.code ? ` (${err.code})` : '';
    const text = (err && err.message ? err.message : String(err)) + code;
    ui.error.textContent = text;
    ui.errorBanner.hidden = false;
    if (typeof console !== 'undefined') console.warn('mediagate demo:', text);
  }

  function clearError() {
    ui.error.textContent = '';
    ui.errorBanner.hidden = true;
  }

  function say(text) {
    ui.status.textContent = text;
  }

  $('#error-dismiss').addEventListener('click', clearError);

  // Runs one user action: clears the last error, shows a new one, never throws.
  async function action(fn) {
    clearError();
    state.busy++;
    document.body.setAttribute('aria-busy', 'true');
    try {
      return await fn();
    } catch (err) {
      say('');
      showError(err);
      return undefined;
    } finally {
      if (--state.busy === 0) document.body.removeAttribute('aria-busy');
    }
  }

  class ApiError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code || null;
      this.status = status || 0;
    }
  }

  // ---- time ----------------------------------------------------------------------------------
  const nowMs = () => Date.now() + (Math.abs(state.skewMs) > 2000 ? state.skewMs : 0);

  function noteServerDate(res) {
    const d = Date.parse(res.headers.get('date') || '');
    if (!Number.isNaN(d)) state.skewMs = d - Date.now();
  }

  function inWords(seconds) {
    const s = Math.round(seconds);
    if (s < 90) return `${s} s`;
    if (s < 90 * 60) return `${Math.round(s / 60)} min`;
    if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
    return `${Math.round(s / 86400)} days`;
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  // ---- API -----------------------------------------------------------------------------------
  // `token` defaults to the signed-in one; useToken passes a candidate it has not adopted yet.
  async function gql(query, variables = {}, token = state.token) {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(`mediagate did not answer: ${err.message}`, 'NETWORK');
    }
    noteServerDate(res);
    let body = null;
    try {
      body = await res.json();
    } catch {
      throw new ApiError(`mediagate answered HTTP ${res.status} without JSON`, null, res.status);
    }
    if (body && Array.isArray(body.errors) && body.errors.length) {
      const first = body.errors[0];
      const code = first.extensions && first.extensions.code;
      // The signed-in token stopped working (expired, or the server's secret changed).
      if (code === 'UNAUTHENTICATED' && state.viewer && token === state.token) signedOut();
      throw new ApiError(first.message || 'request failed', code, res.status);
    }
    if (!res.ok || !body || !body.data) {
      throw new ApiError(`mediagate answered HTTP ${res.status}`, null, res.status);
    }
    return body.data;
  }

  // A gallery lists one owner's images, so its nodes do not ask for `owner` again.
  const GALLERY_FIELDS = 'id key visibility status contentType size sha256 createdAt url urlExpiresAt';
  const IMAGE_FIELDS = `${GALLERY_FIELDS} owner { id username }`;

  const Q = {
    viewer: 'query Viewer { viewer { id username } }',
    gallery: `query Gallery($id: ID!, $first: Int!, $after: String) {
      user(id: $id) { id username isFriend
        images(first: $first, after: $after) {
          nodes { ${GALLERY_FIELDS} }
          pageInfo { endCursor hasNextPage } } } }`,
    image: `query Image($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} } }`,
    createUpload: `mutation CreateUpload($input: CreateUploadInput!) {
      createUpload(input: $input) {
        image { id key status }
        upload { method url headers { name value } expiresAt } } }`,
    // Only the status: a link is never asked for an image that may not be READY.
    completeUpload: `mutation CompleteUpload($id: ID!) {
      completeUpload(imageId: $id) { id key status } }`,
    setVisibility: `mutation SetVisibility($id: ID!, $v: Visibility!) {
      setVisibility(imageId: $id, visibility: $v) { ${IMAGE_FIELDS} } }`,
    revokeLinks: `mutation RevokeLinks($id: ID!) { revokeLinks(imageId: $id) { ${IMAGE_FIELDS} } }`,
    deleteImage: `mutation DeleteImage($id: ID!) {
      deleteImage(imageId: $id) { method url headers { name value } expiresAt } }`,
    requestFriend: `mutation RequestFriend($id: ID!) {
      requestFriend(userId: $id) { to { id username } status } }`,
    acceptFriend: 'mutation AcceptFriend($id: ID!) { acceptFriend(userId: $id) { id username } }',
    declineFriend: 'mutation DeclineFriend($id: ID!) { declineFriend(userId: $id) }',
    removeFriend: 'mutation RemoveFriend($id: ID!) { removeFriend(userId: $id) { id username } }',
    friendRequests: `query FriendRequests { friendRequests {
      incoming { from { id username } }
      outgoing { to { id username } } } }`,
  };

  // ---- signing in ----------------------------------------------------------------------------
  const signInForm = $('#sign-in-form');
  const userInput = $('#user-input');
  const tokenDetails = $('#token-details');

  async function devToken(sub) {
    let res;
    try {
      res = await fetch('/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub }),
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(`mediagate did not answer: ${err.message}`, 'NETWORK');
    }
    if (res.status === 404) {
      $('#welcome').hidden = false;
      tokenDetails.open = true;
      $('#token-note').textContent =
        `${DEV_TOKENS_OFF}. Paste a bearer token that this mediagate accepts instead.`;
      throw new ApiError(DEV_TOKENS_OFF);
    }
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || !body.token) {
      const msg = (body && (body.error || (body.errors && body.errors[0].message))) ||
        `HTTP ${res.status}`;
      throw new ApiError(`could not get a dev token: ${msg}`);
    }
    return body.token;
  }

  // Adopts a token only once mediagate has said whose it is.
  async function useToken(token) {
    const data = await gql(Q.viewer, {}, token);
    if (!data.viewer) throw new ApiError('mediagate did not accept this token (no viewer)');
    state.token = token;
    store.setToken(token);
    await becomeViewer(data.viewer);
  }

  async function becomeViewer(viewer) {
    resetViewerState();
    state.viewer = viewer;
    state.shown = store.get(shownKey(), []).filter((id) => typeof id === 'string' && id !== viewer.id);
    $('#viewer-name').textContent = viewer.username && viewer.username !== viewer.id
      ? `${viewer.username} (${viewer.id})`
      : viewer.id;
    $('#signed-in-note').hidden = false;
    $('#signed-out-note').hidden = true;
    $('#sign-out').hidden = false;
    $('#sign-in').textContent = 'Switch';
    $('#welcome').hidden = true;
    $('#app').hidden = false;
    document.title = `${viewer.id} · mediagate demo`;
    userInput.value = '';

    const own = makeGallery(viewer.id, $('#own-gallery'), true);
    state.galleries.set(viewer.id, own);
    for (const id of state.shown) addGallerySection(id);
    say(`Signed in as ${viewer.id}.`);
    await Promise.all([refreshAll(), loadFriendRequests()]);
  }

  function resetViewerState() {
    stopCookieMode();
    for (const g of state.galleries.values()) {
      if (!g.own) g.section.remove();
    }
    state.galleries.clear();
    const own = $('#own-gallery');
    $('.grid', own).replaceChildren();
    own.dataset.generation = '0';
    state.viewer = null;
    state.shown = [];
    state.friends = new Set();
  }

  function signedOut() {
    resetViewerState();
    state.token = null;
    store.setToken(null);
    $('#signed-in-note').hidden = true;
    $('#signed-out-note').hidden = false;
    $('#sign-out').hidden = true;
    $('#sign-in').textContent = 'Sign in';
    $('#welcome').hidden = false;
    $('#app').hidden = true;
    document.title = 'mediagate demo';
  }

  signInForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const sub = userInput.value.trim();
    if (!sub) return;
    action(async () => {
      say(`Signing in as ${sub}…`);
      await useToken(await devToken(sub));
    });
  });

  $('#sign-out').addEventListener('click', () => {
    signedOut();
    clearError();
    say('Signed out.');
  });

  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = $('#token-input').value.trim().replace(/^Bearer\s+/i, '');
    if (!token) return;
    action(async () => {
      await useToken(token);
      $('#token-input').value = '';
    });
  });

  // ---- galleries -----------------------------------------------------------------------------
  function makeGallery(userId, section, own) {
    const g = {
      userId,
      own,
      section,
      grid: $('.grid', section),
      empty: $('.empty', section),
      more: $('.more', section),
      note: $('.gallery-note', section),
      cards: new Map(), // imageId -> card record
      endCursor: null,
      generation: 0,
      loading: false,
    };
    g.more.onclick = () => action(() => loadGallery(g, true));
    return g;
  }

  function addGallerySection(userId) {
    if (state.galleries.has(userId)) return state.galleries.get(userId);
    const section = $('#gallery-template').content.firstElementChild.cloneNode(true);
    section.dataset.testid = `gallery-${userId}`;
    section.dataset.user = userId;
    const h2 = $('h2', section);
    h2.id = `gallery-title-${userId}`;
    h2.textContent = `${userId}'s images`;
    section.setAttribute('aria-labelledby', h2.id);
    const g = makeGallery(userId, section, false);
    $('.befriend', section).onclick = () => action(() => befriend(userId));
    $('.unfriend', section).onclick = () => action(() => unfriend(userId));
    $('.hide', section).onclick = () => {
      state.shown = state.shown.filter((id) => id !== userId);
      saveLists();
      state.galleries.delete(userId);
      section.remove();
      say(`Stopped showing ${userId}'s gallery.`);
    };
    state.galleries.set(userId, g);
    $('#other-galleries').append(section);
    renderFriendship(g);
    return g;
  }

  function renderFriendship(g) {
    if (g.own) return;
    const friend = state.friends.has(g.userId);
    $('.badge.friend', g.section).hidden = !friend;
    $('.befriend', g.section).hidden = friend;
    $('.unfriend', g.section).hidden = !friend;
  }

  async function refreshAll() {
    const jobs = [...state.galleries.values()].map((g) => loadGallery(g, false));
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // Loads a gallery's first page (or, with `more`, the next one) and reconciles the cards.
  async function loadGallery(g, more) {
    if (!state.viewer) return;
    g.loading = true;
    g.section.setAttribute('aria-busy', 'true');
    try {
      const data = await gql(Q.gallery, {
        id: g.userId,
        first: PAGE_SIZE,
        after: more ? g.endCursor : null,
      });
      if (state.galleries.get(g.userId) !== g) return; // switched user or hidden meanwhile
      const user = data.user;
      if (!user) {
        reconcile(g, [], false);
        g.empty.textContent = `No user "${g.userId}" here: they have never signed in.`;
        g.empty.hidden = false;
        g.more.hidden = true;
      } else {
        const conn = user.images;
        const owner = { id: user.id, username: user.username };
        if (!g.own) {
          if (user.isFriend) state.friends.add(user.id);
          else state.friends.delete(user.id);
          renderFriendship(g);
        }
        reconcile(g, conn.nodes.map((n) => ({ ...n, owner })), more);
        g.endCursor = conn.pageInfo.endCursor;
        g.more.hidden = !conn.pageInfo.hasNextPage;
        g.empty.textContent = g.own
          ? 'No images yet: upload one above.'
          : `Nothing of ${user.username || user.id}'s that you may see.`;
        g.empty.hidden = g.cards.size > 0;
        if (!g.own && user.username && user.username !== user.id) {
          $('h2', g.section).textContent = `${user.username}'s images (${user.id})`;
        }
      }
      g.generation += 1;
      g.section.dataset.generation = String(g.generation);
      noteTtl();
    } finally {
      g.loading = false;
      g.section.removeAttribute('aria-busy');
    }
  }

  // Cards are kept by image id, so a refresh does not reload pictures that are on screen.
  function reconcile(g, nodes, append) {
    const seen = new Set();
    for (const node of nodes) {
      seen.add(node.id);
      let card = g.cards.get(node.id);
      if (!card) {
        card = makeCard(g, node);
        g.cards.set(node.id, card);
      }
      updateCard(card, node);
      g.grid.append(card.el); // moves an existing card into order; its image is not reloaded
    }
    if (!append) {
      for (const [id, card] of g.cards) {
        if (!seen.has(id)) {
          card.el.remove();
          g.cards.delete(id);
        }
      }
    }
  }

  // ---- cards ---------------------------------------------------------------------------------
  const stripQuery = (url) => url.split('?')[0];

  function makeCard(g, node) {
    const el = $('#card-template').content.firstElementChild.cloneNode(true);
    const card = {
      g,
      id: node.id,
      el,
      img: $('img', el),
      placeholder: $('.placeholder', el),
      node,
      src: null, // the URL the <img> was last pointed at
      loaded: false,
      retried: false,
    };
    el.dataset.testid = `card-${node.id}`;
    el.dataset.imageId = node.id;
    card.img.dataset.testid = `image-${node.id}`;
    card.img.addEventListener('load', () => {
      card.loaded = true;
      card.retried = false;
      card.waitedForFloor = false;
      card.img.dataset.state = 'loaded';
      card.placeholder.hidden = true;
      el.classList.remove('broken');
    });
    card.img.addEventListener('error', () => onImageError(card));

    const owner = g.own;
    $('.owner-actions', el).hidden = !owner;
    if (owner) {
      const select = $('select.visibility', el);
      select.id = `visibility-${node.id}`;
      select.dataset.testid = `visibility-${node.id}`;
      const label = $('.owner-actions label', el);
      label.htmlFor = select.id;
      label.textContent = 'Visibility';
      select.addEventListener('change', () => changeVisibility(card, select.value));
      const del = $('.delete', el);
      del.dataset.testid = `delete-${node.id}`;
      del.addEventListener('click', () => deleteCard(card));
      const revoke = $('.revoke', el);
      revoke.dataset.testid = `revoke-${node.id}`;
      revoke.addEventListener('click', () => revokeCard(card));
      $('.revoked', el).dataset.testid = `revoked-${node.id}`;
    }
    return card;
  }

  function fileName(key) {
    const parts = key.split('/');
    return parts[parts.length - 1] || key;
  }

  function displaySrc(card) {
    return card.g.own && state.cookieMode ? stripQuery(card.node.url) : card.node.url;
  }

  function updateCard(card, node, force = false) {
    card.node = node;
    const el = card.el;
    el.dataset.visibility = node.visibility;
    el.dataset.status = node.status;
    const name = fileName(node.key);
    $('.name', el).textContent = name;
    $('.name', el).title = node.key;
    card.img.alt = name;
    const owner = node.owner ? node.owner.username || node.owner.id : card.g.userId;
    const created = new Date(node.createdAt);
    $('.meta', el).textContent = [
      `by ${owner}`,
      bytes(node.size),
      node.contentType,
      Number.isNaN(created.getTime()) ? node.createdAt : created.toLocaleString(),
    ].join(' · ');
    const status = $('.badge.status', el);
    status.textContent = node.status.toLowerCase();
    status.dataset.value = node.status;
    const vis = $('.badge.vis', el);
    vis.textContent = node.visibility.toLowerCase();
    vis.dataset.value = node.visibility;
    $('.expiry', el).dataset.expires = String(node.urlExpiresAt);
    if (card.g.own) {
      const select = $('select.visibility', el);
      if (!select.disabled && document.activeElement !== select) select.value = node.visibility;
    }
    // An image on screen stays as it is: its link may have expired since, but the bytes are
    // here. Load again only when it failed, when it never loaded, or when the mode changed.
    const want = displaySrc(card);
    const modeChanged = card.src !== null && (card.src.includes('?') !== want.includes('?'));
    if (force || card.src === null || !card.loaded || modeChanged) setSrc(card, want);
    tickExpiry(el);
  }

  function setSrc(card, url) {
    card.src = url;
    card.loaded = false;
    card.img.dataset.state = 'loading';
    card.placeholder.hidden = true;
    card.el.classList.remove('broken');
    card.img.src = url;
  }

  // A link that fails is asked for again once (it may simply have expired); a second failure
  // shows the placeholder, with the edge's reason when this page may read it.
  async function onImageError(card) {
    card.loaded = false;
    if (!card.img.getAttribute('src')) return;
    if (!card.retried && state.viewer) {
      card.retried = true;
      try {
        if (card.g.own && state.cookieMode) await renewCookies();
        const data = await gql(Q.image, { id: card.id });
        if (!data.image) {
          broken(card, 'no longer visible to you');
          return;
        }
        updateCard(card, data.image, true);
        return;
      } catch {
        /* fall through to the placeholder */
      }
    }
    const reason = await edgeReason(card.src);
    // Cookies made in the same second as a second revocation of this image cannot be told from
    // those made between the two (their version counts seconds), so the edge refuses them for
    // this image until the next second: renew once more after it.
    if (card.g.own && state.cookieMode && !card.waitedForFloor && /^revoked at /.test(reason)) {
      card.waitedForFloor = true;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      try {
        await renewCookies();
        setSrc(card, displaySrc(card));
        return;
      } catch {
        /* fall through to the placeholder */
      }
    }
    broken(card, reason);
  }

  function broken(card, reason) {
    card.img.dataset.state = 'error';
    card.el.classList.add('broken');
    card.placeholder.hidden = false;
    $('.placeholder-reason', card.placeholder).textContent = reason || '';
  }

  // The local edge says why it refused in x-mediagate-edge-reason. A real CloudFront says only
  // "Access denied", and on another origin the header cannot be read: then there is no reason.
  async function edgeReason(url) {
    try {
      if (new URL(url, location.href).origin !== location.origin) return '';
      const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (res.ok) return '';
      return res.headers.get('x-mediagate-edge-reason') || `HTTP ${res.status}`;
    } catch {
      return '';
    }
  }

  function tickExpiry(el) {
    const span = $('.expiry', el);
    const card = el.dataset.imageId;
    if (!span || !card) return;
    const inCookieMode = el.closest('#own-gallery') && state.cookieMode;
    const expires = inCookieMode ? state.cookieExpiresAt : Number(span.dataset.expires);
    if (!expires) {
      span.textContent = '';
      return;
    }
    const left = expires - nowMs() / 1000;
    const what = inCookieMode ? 'cookies' : 'link';
    span.textContent = left > 0 ? `${what} valid ${inWords(left)}` : `${what} expired`;
    span.classList.toggle('expired', left <= 0);
    span.title = `${what} expires at ${new Date(expires * 1000).toLocaleString()}`;
  }

  setInterval(() => {
    if (document.hidden) return;
    document.querySelectorAll('.card').forEach(tickExpiry);
  }, 1000);

  // Tells how long a link handed out now lives (from the newest card's expiry).
  function noteTtl() {
    const el = $('#ttl-note');
    let latest = 0;
    for (const g of state.galleries.values()) {
      for (const card of g.cards.values()) latest = Math.max(latest, card.node.urlExpiresAt);
    }
    const left = latest - nowMs() / 1000;
    el.textContent = left > 0
      ? `A link handed out now lives about ${inWords(left)}. Making its image private, deleting ` +
        'it or "Revoke links" takes back every link handed out before: the edge refuses them as ' +
        'revoked at once, and new links work.'
      : '';
  }

  async function changeVisibility(card, visibility) {
    const select = $('select.visibility', card.el);
    const before = card.node.visibility;
    select.disabled = true;
    card.el.setAttribute('aria-busy', 'true');
    await action(async () => {
      try {
        const data = await gql(Q.setVisibility, { id: card.id, v: visibility });
        select.disabled = false;
        updateCard(card, data.setVisibility);
        say(`${fileName(card.node.key)} is now ${visibility.toLowerCase()}.`);
      } catch (err) {
        select.disabled = false;
        select.value = before;
        throw err;
      }
    });
    select.disabled = false;
    card.el.removeAttribute('aria-busy');
  }

  // Revokes the card's links, then shows what the edge now says to a link handed out just
  // before (so that it is refused as revoked, not as expired), and loads the new one (in cookie
  // mode with renewed cookies: the old ones are revoked for this image too).
  async function revokeCard(card) {
    const btn = $('.revoke', card.el);
    const note = $('.revoked', card.el);
    btn.disabled = true;
    card.el.setAttribute('aria-busy', 'true');
    await action(async () => {
      const current = await gql(Q.image, { id: card.id });
      const before = current.image ? displaySrc({ g: card.g, node: current.image }) : card.src;
      const data = await gql(Q.revokeLinks, { id: card.id });
      const reason = before ? await edgeReason(before) : '';
      note.textContent = reason
        ? `The link it had: ${reason}.`
        : 'The link it had is refused now.';
      note.hidden = false;
      if (card.g.own && state.cookieMode) await renewCookies();
      updateCard(card, data.revokeLinks, true);
      say(`Links to ${fileName(card.node.key)} handed out so far are revoked; new ones work.`);
    });
    btn.disabled = false;
    card.el.removeAttribute('aria-busy');
  }

  async function deleteCard(card) {
    const btn = $('.delete', card.el);
    btn.disabled = true;
    card.el.setAttribute('aria-busy', 'true');
    const ok = await action(async () => {
      const del = await gql(Q.deleteImage, { id: card.id });
      // Hidden from every query now: take the card off at once.
      card.el.remove();
      card.g.cards.delete(card.id);
      card.g.empty.hidden = card.g.cards.size > 0;
      const name = fileName(card.node.key);
      say(`Deleted ${name}.`);
      // Remove the object too. If this fails (offline, CORS, expired), the server's reaper
      // removes it later, so a failure is not an error here.
      try {
        const res = await fetch(del.url, {
          method: del.method || 'DELETE',
          headers: allowedHeaders(del.headers),
          cache: 'no-store',
        });
        say(res.ok
          ? `Deleted ${name}; its object is gone from storage.`
          : `Deleted ${name}; the server's reaper will remove its object.`);
      } catch {
        say(`Deleted ${name}; the server's reaper will remove its object.`);
      }
      return true;
    });
    if (!ok) {
      btn.disabled = false;
      card.el.removeAttribute('aria-busy');
    }
  }

  function allowedHeaders(list) {
    const out = {};
    for (const h of list || []) {
      const name = h.name.toLowerCase();
      if (FORBIDDEN_HEADERS.has(name) || name.startsWith('sec-') || name.startsWith('proxy-')) continue;
      out[h.name] = h.value;
    }
    return out;
  }

  // ---- uploads -------------------------------------------------------------------------------
  const uploadForm = $('#upload-form');
  const fileInput = $('#file-input');
  const progress = $('#progress');
  const progressLabel = $('#progress-label');

  function setProgress(fraction, text) {
    if (fraction === null) progress.removeAttribute('value');
    else progress.value = Math.round(fraction * 100);
    progressLabel.textContent = text;
  }

  // createUpload requires the file's SHA-256: the presigned PUT signs it, so storage accepts
  // these bytes and no others, now and after completeUpload.
  async function sha256Hex(file) {
    // crypto.subtle exists only in secure contexts (https, or http on localhost/127.0.0.1).
    if (!(window.crypto && crypto.subtle)) {
      throw new ApiError(
        'this browser computes SHA-256 only on https or http://localhost; open the demo there to upload',
        'UPLOAD');
    }
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  function guessType(name) {
    const ext = (name.split('.').pop() || '').toLowerCase();
    return {
      jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif',
      webp: 'image/webp', avif: 'image/avif', heic: 'image/heic',
    }[ext] || 'application/octet-stream';
  }

  // PUT with XMLHttpRequest, not fetch: only XHR reports upload progress.
  function put(upload, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(upload.method || 'PUT', upload.url);
      for (const [name, value] of Object.entries(allowedHeaders(upload.headers))) {
        xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve();
          return;
        }
        // S3 explains itself in XML: <Error><Code>…</Code><Message>…</Message></Error>.
        const text = xhr.responseText || '';
        const code = (text.match(/<Code>([^<]*)<\/Code>/) || [])[1];
        const message = (text.match(/<Message>([^<]*)<\/Message>/) || [])[1];
        reject(new ApiError(
          `storage refused the upload: HTTP ${xhr.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
          'UPLOAD'));
      };
      xhr.onerror = () => reject(new ApiError(
        'the upload did not reach storage (network error, or the storage server does not allow this page by CORS)',
        'UPLOAD'));
      xhr.ontimeout = () => reject(new ApiError('the upload timed out', 'UPLOAD'));
      xhr.send(file);
    });
  }

  async function uploadOne(file, visibility, index, count) {
    const label = count > 1 ? `${file.name} (${index + 1} of ${count})` : file.name;
    setProgress(0, `Hashing ${label}…`);
    const sha256 = await sha256Hex(file);
    setProgress(0, `Asking mediagate for an upload link for ${label}…`);
    const input = {
      filename: file.name,
      contentType: file.type || guessType(file.name),
      size: file.size,
      sha256,
      visibility,
    };
    const ticket = (await gql(Q.createUpload, { input })).createUpload;
    setProgress(0, `Uploading ${label} straight to storage…`);
    await put(ticket.upload, file, (f) =>
      setProgress(f, `Uploading ${label}: ${Math.round(f * 100)}%`));
    setProgress(1, `Checking ${label}…`);
    const image = (await gql(Q.completeUpload, { id: ticket.image.id })).completeUpload;
    if (image.status !== 'READY') {
      throw new ApiError(`${label} was not accepted (status ${image.status})`);
    }
    setProgress(1, `Uploaded ${label} (SHA-256 checked by storage).`);
    return image;
  }

  uploadForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const files = [...fileInput.files];
    if (!files.length) {
      showError('choose an image file first');
      return;
    }
    const visibility = $('#upload-visibility').value;
    const button = $('#upload-button');
    button.disabled = true;
    action(async () => {
      try {
        for (let i = 0; i < files.length; i++) {
          try {
            await uploadOne(files[i], visibility, i, files.length);
          } catch (err) {
            setProgress(0, `${files[i].name}: not uploaded.`);
            throw err;
          }
        }
        fileInput.value = '';
        say(files.length > 1 ? `Uploaded ${files.length} images.` : `Uploaded ${files[0].name}.`);
      } finally {
        button.disabled = false;
        const own = state.viewer && state.galleries.get(state.viewer.id);
        if (own) await loadGallery(own, false);
      }
    });
  });

  // ---- people --------------------------------------------------------------------------------
  $('#show-user-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('#show-user-input');
    const id = input.value.trim();
    if (!id || !state.viewer) return;
    action(async () => {
      if (id === state.viewer.id) {
        say('Your own gallery is always shown.');
        input.value = '';
        return;
      }
      const g = showUser(id);
      input.value = '';
      await loadGallery(g, false);
      g.section.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    });
  });

  function showUser(id) {
    if (!state.shown.includes(id)) {
      state.shown.push(id);
      saveLists();
    }
    return addGallerySection(id);
  }

  // Friendship takes both sides: a request here, an acceptance on the other side.
  async function befriend(id) {
    const req = (await gql(Q.requestFriend, { id })).requestFriend;
    const name = req.to.username || req.to.id;
    const g = showUser(req.to.id);
    if (req.status === 'ACCEPTED') {
      say(`${name} and you are friends: each sees the other's Friends images.`);
    } else {
      say(`Friend request sent to ${name}: once they accept it, each of you sees the other's Friends images.`);
    }
    await Promise.all([loadGallery(g, false), loadFriendRequests()]);
  }

  async function unfriend(id) {
    const user = (await gql(Q.removeFriend, { id })).removeFriend;
    const g = state.galleries.get(user.id);
    if (g) await loadGallery(g, false);
    say(`${user.username || user.id} is no longer your friend.`);
  }

  async function answerRequest(id, accept) {
    if (accept) {
      const user = (await gql(Q.acceptFriend, { id })).acceptFriend;
      const g = showUser(user.id);
      say(`${user.username || user.id} and you are friends: each sees the other's Friends images.`);
      await loadGallery(g, false);
    } else {
      await gql(Q.declineFriend, { id });
      say(`Request ${id === state.viewer.id ? '' : `with ${id} `}removed.`);
    }
    await loadFriendRequests();
  }

  function requestItem(user, incoming) {
    const li = document.createElement('li');
    li.className = 'row';
    li.dataset.userId = user.id;
    const label = document.createElement('span');
    label.textContent = incoming
      ? `${user.username || user.id} asks to be your friend`
      : `waiting for ${user.username || user.id}`;
    li.append(label);
    const buttons = incoming ? [['Accept', true], ['Decline', false]] : [['Withdraw', false]];
    for (const [text, accept] of buttons) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'small';
      b.textContent = text;
      b.dataset.testid = `${text.toLowerCase()}-${user.id}`;
      b.onclick = () => action(() => answerRequest(user.id, accept));
      li.append(b);
    }
    return li;
  }

  async function loadFriendRequests() {
    if (!state.viewer) return;
    const { incoming, outgoing } = (await gql(Q.friendRequests, {})).friendRequests;
    const list = $('#friend-requests');
    list.replaceChildren(
      ...incoming.map((r) => requestItem(r.from, true)),
      ...outgoing.map((r) => requestItem(r.to, false)),
    );
    list.hidden = list.children.length === 0;
  }

  $('#friend-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('#friend-input');
    const id = input.value.trim();
    if (!id || !state.viewer) return;
    action(async () => {
      await befriend(id);
      input.value = '';
    });
  });

  $('#refresh').addEventListener('click', () => action(async () => {
    await Promise.all([refreshAll(), loadFriendRequests()]);
    say(`Refreshed at ${new Date().toLocaleTimeString()}.`);
  }));

  // ---- signed cookies ------------------------------------------------------------------------
  const cookieBox = $('#cookie-mode');

  async function renewCookies() {
    if (!state.token) throw new ApiError('sign in first');
    let res;
    try {
      res = await fetch('/cookies', {
        method: 'POST',
        headers: { authorization: `Bearer ${state.token}` },
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError(`mediagate did not answer: ${err.message}`, 'NETWORK');
    }
    noteServerDate(res);
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || typeof body.expiresAt !== 'number') {
      const first = body && body.errors && body.errors[0];
      throw new ApiError(
        `could not get signed cookies: ${first ? first.message : `HTTP ${res.status}`}`,
        first && first.extensions && first.extensions.code);
    }
    state.cookieExpiresAt = body.expiresAt;
    $('#cookie-note').textContent =
      `On: cookies for ${body.path || 'your path'} are valid until ` +
      `${new Date(body.expiresAt * 1000).toLocaleTimeString()} and are renewed before then.`;
    scheduleCookieRenewal();
    return body;
  }

  // Renew with a fifth of the lifetime to spare (at least a second), never more often than
  // every half second.
  function scheduleCookieRenewal() {
    clearTimeout(state.cookieTimer);
    if (!state.cookieMode) return;
    const left = state.cookieExpiresAt * 1000 - nowMs();
    const delay = Math.min(2 ** 31 - 1, Math.max(500, left - Math.max(1000, left / 5)));
    state.cookieTimer = setTimeout(() => {
      if (!state.cookieMode) return;
      renewCookies().catch((err) => showError(err));
    }, delay);
  }

  function stopCookieMode() {
    state.cookieMode = false;
    state.cookieExpiresAt = 0;
    clearTimeout(state.cookieTimer);
    cookieBox.checked = false;
  }

  async function applyCookieMode() {
    const own = state.viewer && state.galleries.get(state.viewer.id);
    if (!own) return;
    // Fresh signed URLs first (the ones we hold may have expired), then point every own image
    // at its signed URL or, in cookie mode, at the same URL without its query string.
    await loadGallery(own, false);
    for (const card of own.cards.values()) updateCard(card, card.node, true);
  }

  cookieBox.addEventListener('change', () => {
    const on = cookieBox.checked;
    cookieBox.disabled = true;
    action(async () => {
      try {
        if (on) {
          state.cookieMode = true;
          await renewCookies();
          say('Signed-cookie mode: your images load from plain URLs.');
        } else {
          stopCookieMode();
          $('#cookie-note').textContent =
            'Off: each of your images has its own signed URL.';
          say('Signed-URL mode.');
        }
        await applyCookieMode();
      } catch (err) {
        stopCookieMode();
        throw err;
      } finally {
        cookieBox.disabled = false;
      }
    });
  });

  // ---- start ---------------------------------------------------------------------------------
  const saved = store.token();
  if (saved) {
    action(async () => {
      try {
        await useToken(saved);
      } catch (err) {
        store.setToken(null);
        throw new ApiError(`please sign in again: ${err.message}`, err.code);
      }
    });
  } else {
    userInput.focus();
  }
})();

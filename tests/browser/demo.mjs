// The demo page in a real browser (Debian's Chromium, driven by playwright-core), two users in
// two browser contexts. Run through scripts/browser-test, which installs what is missing,
// starts mediagate with links that live 3..4 s and passes its address:
//
//   node tests/browser/demo.mjs http://127.0.0.1:PORT OUTDIR
//   node tests/browser/demo.mjs --smoke OUTDIR        (Chromium renders a page; no mediagate)
//
// Prints one "==> " line per step, saves a screenshot per step in OUTDIR, exits 1 with a clear
// message on the first failure.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.MEDIAGATE_CHROMIUM || '/usr/bin/chromium';
const OVERALL_MS = 100_000;
const STEP_MS = 10_000;

// Keeps Chromium off the network: every host name fails to resolve except 127.0.0.1.
const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
    '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-default-apps', '--metrics-recording-only',
    '--no-default-browser-check', '--disable-features=Translate,OptimizationHints,MediaRouter',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  ],
};

class Failure extends Error {}
const step = (msg) => console.log(`==> ${msg}`);
function check(cond, msg) {
  if (!cond) throw new Failure(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function usage() {
  console.error('usage: node tests/browser/demo.mjs http://127.0.0.1:PORT OUTDIR\n' +
    '       node tests/browser/demo.mjs --smoke OUTDIR');
  process.exit(2);
}

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch {
    throw new Failure('playwright-core is not installed here: run this through ' +
      'scripts/browser-test (it installs the pinned version and sets NODE_PATH)');
  }
}

// ---- a real PNG, made here: 64x48, a gradient with a known top-left pixel ---------------------
const PNG_W = 64;
const PNG_H = 48;
const PNG_TOP_LEFT = [230, 40, 90];

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function makePng() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(PNG_W, 0);
  ihdr.writeUInt32BE(PNG_H, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((PNG_W * 3 + 1) * PNG_H);
  for (let y = 0; y < PNG_H; y++) {
    const row = y * (PNG_W * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < PNG_W; x++) {
      const p = row + 1 + x * 3;
      raw[p] = PNG_TOP_LEFT[0] - x;
      raw[p + 1] = PNG_TOP_LEFT[1] + y * 3;
      raw[p + 2] = PNG_TOP_LEFT[2] + x * 2;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- helpers on a page ----------------------------------------------------------------------
const tid = (id) => `[data-testid="${id}"]`;

function makeShooter(outdir) {
  let n = 0;
  return async (page, name) => {
    const file = path.join(outdir, `${String(++n).padStart(2, '0')}-${name}.png`);
    // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

async function errorText(page) {
  return ((await page.locator(tid('error')).textContent()) || '').trim();
}

async function expectNoError(page, who, what) {
  const text = await errorText(page);
  check(!text, `${who}: the page shows an error after ${what}: ${text}`);
}

// Waits for fn in the page; on time-out, fails with `what` and the page's error text.
async function waitIn(page, who, what, fn, arg, timeout = STEP_MS) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (err) {
    const shown = await errorText(page).catch(() => '');
    throw new Failure(`${who}: ${what} (waited ${timeout} ms)` +
      (shown ? `; the page shows the error: ${shown}` : '') +
      (err instanceof Error && !/Timeout/i.test(err.message) ? `; ${err.message}` : ''));
  }
}

// The rendered state of image-<id> inside the gallery `galleryId`, or null when absent.
async function imageState(page, galleryId, imageId) {
  return page.evaluate(([g, i]) => {
    const img = document.querySelector(`[data-testid="${g}"] [data-testid="image-${i}"]`);
    if (!img) return null;
    return { src: img.currentSrc || img.src, complete: img.complete,
      w: img.naturalWidth, h: img.naturalHeight };
  }, [galleryId, imageId]);
}

// Waits until image-<id> in the gallery has loaded; checks it is our PNG by size and pixel.
async function expectRendered(page, who, galleryId, imageId) {
  await waitIn(page, who, `image-${imageId} in ${galleryId} did not render`, ([g, i]) => {
    const img = document.querySelector(`[data-testid="${g}"] [data-testid="image-${i}"]`);
    return img && img.complete && img.naturalWidth > 0;
  }, [galleryId, imageId]);
  const s = await page.evaluate(([g, i]) => {
    const img = document.querySelector(`[data-testid="${g}"] [data-testid="image-${i}"]`);
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    let px = null;
    try {
      px = [...ctx.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    } catch {
      /* tainted: another origin without CORS */
    }
    return { src: img.currentSrc || img.src, w: img.naturalWidth, h: img.naturalHeight, px };
  }, [galleryId, imageId]);
  check(s.w === PNG_W && s.h === PNG_H,
    `${who}: image-${imageId} rendered ${s.w}x${s.h}, not the uploaded ${PNG_W}x${PNG_H} PNG`);
  if (s.px) {
    check(s.px.every((v, k) => Math.abs(v - PNG_TOP_LEFT[k]) <= 2),
      `${who}: image-${imageId}'s top-left pixel is ${s.px}, not the uploaded ${PNG_TOP_LEFT}`);
  }
  return s;
}

async function generation(page, galleryId) {
  return page.evaluate((g) => {
    const el = document.querySelector(`[data-testid="${g}"]`);
    return el ? Number(el.dataset.generation || 0) : -1;
  }, galleryId);
}

// Clicks Refresh and waits until the gallery has been rendered again from a new answer.
async function refresh(page, who, galleryId) {
  const before = await generation(page, galleryId);
  await page.locator(tid('refresh')).click();
  await waitIn(page, who, `${galleryId} was not refreshed after clicking Refresh`, ([g, n]) => {
    const el = document.querySelector(`[data-testid="${g}"]`);
    return el && Number(el.dataset.generation || 0) > n;
  }, [galleryId, before]);
  await expectNoError(page, who, 'Refresh');
}

async function setVisibility(page, who, imageId, visibility) {
  await page.locator(tid(`visibility-${imageId}`)).selectOption(visibility);
  await waitIn(page, who, `setVisibility(${visibility}) was not confirmed on card ${imageId}`,
    ([i, v]) => {
      const card = document.querySelector(`[data-testid="card-${i}"]`);
      return card && card.dataset.visibility === v && card.getAttribute('aria-busy') !== 'true';
    }, [imageId, visibility]);
  await expectNoError(page, who, `setVisibility(${visibility})`);
}

// fetch() from inside the page, bypassing the HTTP cache (the edge lets browsers keep a
// response for minutes, so a cached 200 would say nothing about the link).
async function fetchInPage(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { cache: 'no-store', credentials: 'same-origin' });
    return { status: r.status, reason: r.headers.get('x-mediagate-edge-reason') };
  }, url);
}

// ---- smoke: Chromium starts headless with our flags and renders ------------------------------
async function smoke(outdir) {
  const { chromium } = loadPlaywright();
  step(`smoke: launching ${CHROMIUM} headless`);
  const browser = await chromium.launch(LAUNCH);
  try {
    step(`smoke: browser ${browser.version()}`);
    const page = await browser.newPage({ viewport: { width: 480, height: 320 } });
    const html = '<!doctype html><meta charset="utf-8"><title>smoke</title>' +
      '<body style="margin:0;font:20px sans-serif;background:#fff">' +
      '<h1 style="margin:16px">mediagate smoke test</h1><canvas id="c" width="100" height="60"></canvas>' +
      '<script>const x=document.getElementById("c").getContext("2d");' +
      'x.fillStyle="rgb(230,40,90)";x.fillRect(0,0,100,60);</script></body>';
    await page.goto(`data:text/html;base64,${Buffer.from(html).toString('base64')}`);
    const px = await page.evaluate(() =>
      [...document.getElementById('c').getContext('2d').getImageData(5, 5, 1, 1).data]);
    check(px[0] === 230 && px[1] === 40 && px[2] === 90, `smoke: canvas pixel is ${px}`);
    const png = makePng();
    const img = await page.evaluate(async (b64) => {
      const i = new Image();
      i.src = `data:image/png;base64,${b64}`;
      await i.decode();
      return [i.naturalWidth, i.naturalHeight];
    }, png.toString('base64'));
    check(img[0] === PNG_W && img[1] === PNG_H, `smoke: the test PNG decodes as ${img}`);
    const blocked = await page.evaluate(async () => {
      try {
        await fetch('http://example.com/', { mode: 'no-cors' });
        return 'reached';
      } catch {
        return 'blocked';
      }
    });
    check(blocked === 'blocked', 'smoke: a fetch to a public host name was not blocked');
    const file = path.join(outdir, 'smoke.png');
    await page.screenshot({ path: file });
    step(`smoke: rendered, test PNG decodes ${img[0]}x${img[1]}, network blocked; screenshot ${file}`);
  } finally {
    await browser.close();
  }
}

// ---- the scenario ---------------------------------------------------------------------------
async function scenario(base, outdir) {
  const { chromium } = loadPlaywright();
  const shot = makeShooter(outdir);
  const pageErrors = [];

  step(`the page and its files are served at ${base}/demo`);
  for (const [p, type] of [['/demo', 'text/html'], ['/demo/app.js', 'javascript'],
    ['/demo/style.css', 'text/css']]) {
    const r = await fetch(base + p);
    check(r.status === 200, `GET ${p} answered ${r.status}`);
    check((r.headers.get('content-type') || '').includes(type),
      `GET ${p} has Content-Type ${r.headers.get('content-type')}, expected ${type}`);
    const text = await r.text();
    check(text.trim().length > 100,
      `GET ${p} is almost empty (${text.length} bytes): was BIN built from this tree's web/?`);
    if (p === '/demo') {
      check(text.includes('data-testid="user-input"'),
        'GET /demo is not web/index.html of this tree (no data-testid="user-input")');
    }
  }

  const pngFile = path.join(outdir, 'upload-64x48.png');
  writeFileSync(pngFile, makePng());

  const browser = await chromium.launch(LAUNCH);
  step(`Chromium ${browser.version()} started headless`);
  const pages = [];
  try {
    async function open(user) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(STEP_MS);
      const page = await context.newPage();
      pages.push([user, page]);
      page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
      await page.goto(`${base}/demo`);
      await page.locator(tid('user-input')).fill(user);
      await page.locator(tid('sign-in')).click();
      await waitIn(page, user, `sign-in as ${user} did not complete`, (u) => {
        const v = document.querySelector('[data-testid="viewer"]');
        const g = document.querySelector('[data-testid="gallery"]');
        return v && v.textContent.includes(u) && g && Number(g.dataset.generation) > 0;
      }, user);
      await expectNoError(page, user, 'sign-in');
      return { context, page };
    }
    const noPageErrors = () =>
      check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join(' | ')}`);

    step('alice signs in (dev token) in one browser context');
    const a = (await open('alice')).page;
    await shot(a, 'alice-signed-in');
    step('bob signs in in another browser context');
    const b = (await open('bob')).page;

    step('alice uploads a 64x48 PNG (SHA-256, presigned PUT with progress, completeUpload)');
    const before = new Set(await a.$$eval(`${tid('gallery')} img[data-testid^="image-"]`,
      (els) => els.map((e) => e.dataset.testid)));
    await a.locator(tid('file-input')).setInputFiles(pngFile);
    await a.locator(tid('upload-button')).click();
    const newId = await waitIn(a, 'alice', 'the uploaded image did not appear in her gallery',
      (known) => {
        const imgs = document.querySelectorAll('[data-testid="gallery"] img[data-testid^="image-"]');
        const fresh = [...imgs].map((e) => e.dataset.testid).filter((t) => !known.includes(t));
        return fresh.length === 1 ? fresh[0].slice('image-'.length) : null;
      }, [...before]).then((h) => h.jsonValue());
    await expectNoError(a, 'alice', 'the upload');
    const prog = await a.locator(tid('progress')).evaluate((p) => [p.value, p.max]);
    check(prog[0] === prog[1], `alice: the progress bar ends at ${prog[0]} of ${prog[1]}`);
    const own = await expectRendered(a, 'alice', 'gallery', newId);
    check(/Signature=/.test(own.src), `alice: her image's src is not a signed URL: ${own.src}`);
    await shot(a, 'alice-uploaded-private');
    step(`alice sees image ${newId} rendered (${own.w}x${own.h}) from a signed URL`);

    step("bob shows alice's gallery: her PRIVATE image is not there");
    await b.locator(tid('show-user-input')).fill('alice');
    await b.locator(tid('show-user')).click();
    await waitIn(b, 'bob', "alice's gallery did not appear", () => {
      const g = document.querySelector('[data-testid="gallery-alice"]');
      return g && Number(g.dataset.generation) > 0;
    });
    await expectNoError(b, 'bob', 'showing alice');
    check(await imageState(b, 'gallery-alice', newId) === null,
      "bob: alice's PRIVATE image is listed in her gallery");
    await shot(b, 'bob-sees-nothing-private');

    step('alice makes it PUBLIC; bob refreshes and sees it rendered');
    await setVisibility(a, 'alice', newId, 'PUBLIC');
    await shot(a, 'alice-made-public');
    await refresh(b, 'bob', 'gallery-alice');
    const pub = await expectRendered(b, 'bob', 'gallery-alice', newId);
    const oldUrl = pub.src;
    check(/Signature=/.test(oldUrl), `bob: the public image's src is not a signed URL: ${oldUrl}`);
    await shot(b, 'bob-sees-public');

    step('alice makes it PRIVATE again; bob refreshes: gone from the listing at once');
    await setVisibility(a, 'alice', newId, 'PRIVATE');
    await refresh(b, 'bob', 'gallery-alice');
    check(await imageState(b, 'gallery-alice', newId) === null,
      "bob: alice's image is still listed right after she made it PRIVATE");
    await shot(b, 'bob-after-private');

    // Narrowing the visibility revoked every link handed out before: bob kept the URL from
    // while the image was public, and the edge refuses it on the very next request, long before
    // it would expire, saying so.
    step("bob's old URL (from while it was public) is refused at once: revoked");
    const last = await fetchInPage(b, oldUrl);
    check(last.status === 403,
      `bob: the old URL answered ${last.status} right after alice made the image PRIVATE; expected 403`);
    check(/^revoked at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(last.reason || ''),
      `bob: the edge refused the old URL, but x-mediagate-edge-reason is "${last.reason}", not "revoked at …"`);
    step(`edge refused the old URL: "${last.reason}"`);
    await shot(b, 'bob-old-link-revoked');

    step('alice presses "Revoke links": her card says its old link is revoked and renders from a new one');
    const mine = await expectRendered(a, 'alice', 'gallery', newId);
    await a.locator(tid(`revoke-${newId}`)).click();
    await waitIn(a, 'alice', 'the card did not say that its old link was revoked', (i) => {
      const note = document.querySelector(`[data-testid="revoked-${i}"]`);
      return note && !note.hidden && /revoked at/.test(note.textContent);
    }, newId);
    await expectNoError(a, 'alice', 'revoking links');
    await waitIn(a, 'alice', 'her image did not render from a new link after the revocation', (args) => {
      const img = document.querySelector(`[data-testid="gallery"] [data-testid="image-${args[0]}"]`);
      return img && img.src !== args[1] && img.complete && img.naturalWidth > 0;
    }, [newId, mine.src]);
    const note = await a.locator(tid(`revoked-${newId}`)).textContent();
    step(`the card says "${note.trim()}"`);
    await shot(a, 'alice-revoked-links');

    step('alice switches to signed-cookie mode: her image renders from a URL with no signature');
    await a.locator(tid('cookie-mode')).check();
    await waitIn(a, 'alice', 'her image did not render from an unsigned URL in cookie mode', (i) => {
      const img = document.querySelector(`[data-testid="gallery"] [data-testid="image-${i}"]`);
      return img && !/Signature=/.test(img.src) && img.complete && img.naturalWidth > 0;
    }, newId);
    await expectNoError(a, 'alice', 'turning on cookie mode');
    const ck = await expectRendered(a, 'alice', 'gallery', newId);
    check(!ck.src.includes('?'), `alice: cookie-mode src still has a query: ${ck.src}`);
    await shot(a, 'alice-cookie-mode');
    const plain = ck.src;
    const other = await fetchInPage(b, plain);
    check(other.status === 403,
      `bob: alice's unsigned URL answered ${other.status} without her cookies; expected 403`);
    step(`without alice's cookies the same URL is refused (bob: 403, "${other.reason}")`);

    step('cookie renewal: 5 s later (past one link lifetime) the unsigned URL still loads for alice');
    await sleep(5_000);
    const later = await fetchInPage(a, plain);
    check(later.status === 200,
      `alice: her unsigned URL answered ${later.status} ("${later.reason}") 5 s later; the page did not renew its cookies`);
    await expectNoError(a, 'alice', 'cookie renewal');

    step('alice makes it PUBLIC again (so that only the delete can hide it); bob sees it');
    await setVisibility(a, 'alice', newId, 'PUBLIC');
    await refresh(b, 'bob', 'gallery-alice');
    check(await imageState(b, 'gallery-alice', newId) !== null,
      'bob: the image is not listed although alice made it PUBLIC again');

    // A link that is dead when it reaches the edge: carol's browser holds every image request
    // 5 s, longer than a link lives, so the real edge refuses the first link and the fresh one
    // the page asks for when it retries. The card must then show its placeholder.
    step('carol: a picture whose link expires on the way shows the "link expired" placeholder');
    const { context: cc, page: c } = await open('carol');
    await cc.route('**/edge/**', async (route) => {
      if (route.request().resourceType() === 'image') await sleep(5_000);
      await route.continue();
    });
    await c.locator(tid('show-user-input')).fill('alice');
    await c.locator(tid('show-user')).click();
    await waitIn(c, 'carol', 'no placeholder appeared for an image whose link had expired', (i) => {
      const img = document.querySelector(`[data-testid="gallery-alice"] [data-testid="image-${i}"]`);
      const card = img && img.closest('.card');
      const ph = card && card.querySelector('.placeholder');
      return ph && !ph.hidden && ph.offsetParent !== null &&
        /link expired or not allowed/.test(ph.textContent) && img.dataset.state === 'error';
    }, newId, 20_000);
    const why = await c.locator(`${tid('gallery-alice')} .card .placeholder-reason`).textContent();
    check(/expired/i.test(why || ''), `carol: the placeholder gives the reason "${why}", not the edge's "expired …"`);
    // The error shown is the placeholder, not an error banner.
    await expectNoError(c, 'carol', 'an expired image link');
    await shot(c, 'carol-link-expired-placeholder');
    step(`carol sees the placeholder with the edge's reason: "${why.trim()}"`);
    await cc.unrouteAll({ behavior: 'ignoreErrors' });
    await cc.close();

    step('alice makes it FRIENDS: bob, not her friend, does not see it');
    await setVisibility(a, 'alice', newId, 'FRIENDS');
    await refresh(b, 'bob', 'gallery-alice');
    check(await imageState(b, 'gallery-alice', newId) === null,
      "bob: alice's FRIENDS image is listed although they are not friends");

    step('bob asks alice to be friends: a request alone shows him nothing');
    await b.locator(tid('friend-input')).fill('alice');
    await b.locator(tid('add-friend')).click();
    await waitIn(b, 'bob', 'his request is not listed as waiting', () =>
      !!document.querySelector('[data-testid="withdraw-alice"]'));
    await expectNoError(b, 'bob', 'the friend request');
    await refresh(b, 'bob', 'gallery-alice');
    check(await imageState(b, 'gallery-alice', newId) === null,
      "bob: alice's FRIENDS image is listed after his request alone");

    step('alice accepts; bob refreshes and sees her FRIENDS image');
    await refresh(a, 'alice', 'gallery');
    await waitIn(a, 'alice', "bob's request is not listed", () =>
      !!document.querySelector('[data-testid="accept-bob"]'));
    await shot(a, 'alice-friend-request');
    await a.locator(tid('accept-bob')).click();
    await waitIn(a, 'alice', 'the accepted request is still listed', () =>
      !document.querySelector('[data-testid="accept-bob"]'));
    await expectNoError(a, 'alice', 'accepting');
    await refresh(b, 'bob', 'gallery-alice');
    await expectRendered(b, 'bob', 'gallery-alice', newId);
    await shot(b, 'bob-sees-friends-image');

    step("alice deletes it: gone from her gallery and from bob's view");
    await a.locator(tid(`delete-${newId}`)).click();
    await waitIn(a, 'alice', 'the deleted image is still in her gallery', (i) =>
      !document.querySelector(`[data-testid="gallery"] [data-testid="image-${i}"]`), newId);
    await expectNoError(a, 'alice', 'the delete');
    await refresh(a, 'alice', 'gallery');
    check(await imageState(a, 'gallery', newId) === null,
      'alice: the deleted image came back after Refresh');
    await shot(a, 'alice-deleted');
    await refresh(b, 'bob', 'gallery-alice');
    check(await imageState(b, 'gallery-alice', newId) === null,
      "bob: alice's deleted image is still listed in her gallery");
    await shot(b, 'bob-after-delete');

    noPageErrors();
    step('all steps passed');
  } catch (err) {
    for (const [user, page] of pages) {
      await page.screenshot({ path: path.join(outdir, `failure-${user}.png`), fullPage: true })
        .catch(() => {});
    }
    if (pageErrors.length) console.error(`uncaught errors in the page: ${pageErrors.join(' | ')}`);
    throw err;
  } finally {
    await browser.close().catch(() => {});
  }
}

// ---- main -----------------------------------------------------------------------------------
async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 2) usage();
  const smokeMode = args[0] === '--smoke';
  const base = smokeMode ? null : args[0].replace(/\/+$/, '');
  const outdir = path.resolve(args[1]);
  if (!smokeMode && !/^https?:\/\/[^/]+$/.test(base)) usage();
  mkdirSync(outdir, { recursive: true });

  const timer = setTimeout(() => {
    console.error(`FAIL: the browser test did not finish within ${OVERALL_MS / 1000} s`);
    process.exit(1);
  }, OVERALL_MS);
  timer.unref();

  const started = Date.now();
  try {
    if (smokeMode) await smoke(outdir);
    else await scenario(base, outdir);
  } catch (err) {
    const msg = err instanceof Failure ? err.message : (err && err.stack) || String(err);
    console.error(`FAIL: ${msg}`);
    console.error(`(screenshots so far are in ${outdir})`);
    process.exit(1);
  }
  step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main();

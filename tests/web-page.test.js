// The page in a real browser (Debian's chromium, headless, through playwright-core): the default
// guest boots in a Web Worker to its shell; commands typed into the xterm.js terminal answer;
// pause/resume stop and restart the harts; the guest learns the window size with `resize`;
// the monitor through the embedding API; a bad command line shows QEMU's error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MARKER, SKIP, consoleText, newPage, openBrowser, sh, waitForConsole, withScreenshot } from './web-helpers.js';

let b, page;
before(async () => {
  if (SKIP) return;
  b = await openBrowser();
  page = await newPage(b);
  await page.setViewportSize({ width: 1100, height: 700 });
  await page.goto(b.base);
});
after(async () => { await b?.close(); });

test('default guest boots in the page; uname -a and echo $((6*7)) typed into the terminal', { skip: SKIP, timeout: 180_000 }, async () => {
  await withScreenshot(page, 'boot', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
    await waitForConsole(page, MARKER, 150_000);
    assert.match(await sh(page, 'uname -a'), /^Linux \S+ 6\.12\.\d+ .* riscv64 GNU\/Linux$/);
    assert.equal(await sh(page, 'echo $((6*7))'), '42');
    // The answers are on the screen (xterm's buffer), not only in the API's text.
    const screen = await page.evaluate(() => window.tsqemuPage.screenText());
    assert.match(screen, /\n42\n/);
    assert.match(screen, /Linux \S+ 6\.12\.\d+ .*riscv64/);
    // Paste (what Ctrl+Shift+V and the browser's paste do) reaches the guest; a selection copies.
    const from = (await consoleText(page)).length;
    await page.evaluate(() => window.tsqemuPage.term.paste('echo pasted-$((1+1))\r'));
    await waitForConsole(page, '\npasted-2', 30_000, from);
    assert.match(await page.evaluate(() => { window.tsqemuPage.term.selectAll(); return window.tsqemuPage.term.getSelection(); }), /\npasted-2\s/);
    const s = await page.evaluate(() => window.tsqemu.stats());
    assert.ok(s.instructions > 1e8 && s.translated > 0 && s.translated < s.instructions, JSON.stringify(s));
    assert.match(await page.textContent('#jit'), /% translated/);
  });
});

test('pause stops the harts, resume runs what was typed meanwhile', { skip: SKIP, timeout: 60_000 }, async () => {
  await withScreenshot(page, 'pause', async () => {
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('state').textContent === 'paused');
    assert.equal(await page.evaluate(() => window.tsqemu.hmp('info status')), 'VM status: paused\n');
    const i0 = (await page.evaluate(() => window.tsqemu.stats())).instructions;
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo resumed-$((2+3))\n');
    await page.waitForTimeout(700);
    const i1 = (await page.evaluate(() => window.tsqemu.stats())).instructions;
    assert.equal(i1, i0, 'no instruction retires while paused');
    assert.doesNotMatch(await consoleText(page), /resumed-5/);
    await page.click('#pause'); // now "Resume"
    await waitForConsole(page, 'resumed-5', 30_000);
    assert.equal(await page.evaluate(() => window.tsqemu.hmp('info status')), 'VM status: running\n');
  });
});

test('the guest takes the terminal size with resize', { skip: SKIP, timeout: 60_000 }, async () => {
  await withScreenshot(page, 'resize', async () => {
    await page.setViewportSize({ width: 900, height: 500 });
    await page.waitForFunction(() => window.tsqemuPage.term.cols < 110);
    const { cols, rows } = await page.evaluate(() => ({ cols: window.tsqemuPage.term.cols, rows: window.tsqemuPage.term.rows }));
    // BusyBox resize asks the terminal on stderr (cursor to 999;999, then a position report).
    // Its last escape (restore cursor) ends no line: echo one.
    const out = await sh(page, 'resize >/dev/null; echo; stty size');
    assert.equal(out.split('\n').at(-1), `${rows} ${cols}`);
  });
});

test('reset reboots the guest to its shell', { skip: SKIP, timeout: 180_000 }, async () => {
  await withScreenshot(page, 'reset', async () => {
    const from = (await consoleText(page)).length;
    await page.click('#reset');
    await waitForConsole(page, 'OpenSBI v1.6', 60_000, from);
    await waitForConsole(page, MARKER, 150_000, from);
    assert.equal(await sh(page, 'echo after-reset-$((3*3))'), 'after-reset-9');
  });
});

test('power off ends the machine; a bad command line shows QEMU\'s error', { skip: SKIP, timeout: 60_000 }, async () => {
  await withScreenshot(page, 'poweroff', async () => {
    await page.click('#poweroff');
    await page.waitForFunction(() => /powered off \(exit 0\)/.test(document.getElementById('state').textContent));
    await page.evaluate(() => window.tsqemuPage.boot('-m foo'));
    await page.waitForFunction(() => /tsqemu-system-riscv64: -m foo: /.test(window.tsqemuPage.screenText()));
    assert.match(await page.evaluate(() => window.tsqemuPage.screenText()), /tsqemu-system-riscv64: -m foo: Parameter 'size' expects a non-negative number/);
    assert.match(page.url(), /\?args=-m\+foo$/);
    await page.waitForFunction(() => /exit 1/.test(document.getElementById('state').textContent));
  });
});

test('web/example.html: the embedding API without a terminal (startMachine, write, consoleText, hmp)', { skip: SKIP, timeout: 180_000 }, async () => {
  const ex = await newPage(b);
  try {
    await withScreenshot(ex, 'example', async () => {
      await ex.goto(`${b.base}example.html`);
      await ex.waitForSelector('#run:not([disabled])', { timeout: 150_000 });
      const progress = await ex.evaluate(() => window.progress);
      for (const what of ['kernel', 'initrd', 'firmware']) {
        const last = progress.filter((e) => e.what === what).at(-1);
        assert.ok(last && last.loaded > 0 && last.loaded === last.total, `${what}: ${JSON.stringify(last)}`);
      }
      await ex.click('#run');
      await ex.waitForFunction(() => /Linux tsqemu-guest \S+ .*riscv64/.test(document.getElementById('out').textContent));
      await ex.click('#info');
      await ex.waitForFunction(() => /VM status: running/.test(document.getElementById('out').textContent));
    });
  } finally {
    await ex.close();
  }
});

test('offline after the first load: with the server gone a reload boots from the service worker\'s cache', { skip: SKIP, timeout: 180_000 }, async () => {
  await withScreenshot(page, 'offline', async () => {
    await page.goto(b.base);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    b.stopServer();
    await page.reload();
    await waitForConsole(page, MARKER, 150_000);
    assert.equal(await sh(page, 'echo offline-$((7*6))'), 'offline-42');
  });
});

// The admin pages, used as an admin would: import a status blog's feed
// (upload DNSimple's, read each post's verdict, tick a post, import it),
// and register a webhook that a receiver on 127.0.0.1 then hears from.
// Every step passes axe, in light on a desktop and in dark on a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { assertAccessible, repoRoot, signedIn, startServer, startBrowser } from "./harness.js";

const FEED = join(repoRoot, "tests", "fixtures", "dnsimple-blog-feed.xml");

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/// A fresh page, signed in as the first admin, at `path`.
const signedInAt = (path, colorScheme, width) =>
  signedIn(browser, server, "admin", server.adminPassword, path, colorScheme, width);

test("an admin uploads a feed, reads each post's verdict and imports the ticked ones", async () => {
  for (const [colorScheme, width] of [["light", 1280], ["dark", 375]]) {
    const { page, context, errors } = await signedInAt("/admin/import", colorScheme, width);
    await assertAccessible(page, `feed upload (${colorScheme}, ${width})`);

    await page.setInputFiles("#feed-file", FEED);
    await page.click("form button[type=submit]");
    await page.waitForSelector("form.feed-choice");
    const posts = page.locator(".feed-post");
    assert.equal(await posts.count(), 10);
    // The seeds already hold DNSimple's post-mortems, citing these posts.
    assert.equal(await page.locator(".feed-post.incident").count(), 3);
    assert.match(await page.locator(".feed-post.incident").first().innerText(), /Already here, as/);
    assert.match(await page.locator("main").innerText(), /a notice of planned work/);
    await assertAccessible(page, `feed preview (${colorScheme}, ${width})`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the preview fits ${width} px (${overflow} px too wide)`);

    if (width === 1280) {
      await page.getByLabel("Application maintenance window (May 15)").check();
      await page.click("form.feed-choice button[type=submit]");
      await page.waitForSelector(".outcome-drafted");
      const drafted = page.locator(".outcome-drafted a");
      assert.equal(await drafted.count(), 1);
      // The three post-mortems, and the post a seed cites about the redirector.
      assert.equal(await page.locator(".outcome-before").count(), 4);
      await assertAccessible(page, `feed import results (${colorScheme}, ${width})`);
      await drafted.click();
      await page.waitForSelector("form");
      assert.match(await page.locator("main").innerText(), /Application maintenance window \(May 15\)|Edit/);
    }
    assert.deepEqual(errors, [], "no console or script errors");
    await context.close();
  }
});

test("an admin registers a webhook, sees its secret once, and reads its delivery log", async () => {
  const received = [];
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push({ event: request.headers["x-hindsight-event"], signature: request.headers["x-hindsight-signature-256"], body });
      response.end("ok");
    });
  });
  await new Promise((ready) => receiver.listen(0, "127.0.0.1", ready));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  const token = server.addToken("admin", "write");
  try {
    for (const [colorScheme, width] of [["light", 1280], ["dark", 375]]) {
      const { page, context, errors } = await signedInAt("/admin/webhooks", colorScheme, width);
      if (width === 1280) {
        await page.fill("#webhook-url", "ftp://nowhere");
        await page.click("form.token-form button[type=submit]");
        assert.match(await page.locator("#webhook-url-error").innerText(), /must start with https/);
        assert.equal(await page.inputValue("#webhook-url"), "ftp://nowhere", "what was typed is kept");
        await page.fill("#webhook-url", hookUrl);
        await page.click("form.token-form button[type=submit]");
        assert.match(await page.locator(".notice").innerText(), /shown only this once/);
        // A writer changes a published report through the API: the receiver hears of it.
        const path = server.address + "/api/v1/incidents/dnsimple-partial-dns-outage-2013-03-08";
        const current = await fetch(path);
        const edited = await fetch(path, {
          method: "PATCH",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "If-Match": current.headers.get("etag") },
          body: JSON.stringify({ summary: "A summary changed while published." }),
        });
        assert.equal(edited.status, 200);
        const deadline = Date.now() + 20_000;
        while (received.length === 0 && Date.now() < deadline) {
          await new Promise((wait) => setTimeout(wait, 100));
        }
        assert.equal(received.length, 1, "the receiver heard of the change");
        assert.equal(received[0].event, "incident.updated");
        assert.match(received[0].signature, /^sha256=[0-9a-f]{64}$/);
        await page.waitForTimeout(300);
        await page.goto(server.address + "/admin/webhooks");
        assert.match(await page.locator(".delivery-delivered").first().innerText(), /answered 200/);
      }
      await assertAccessible(page, `webhooks (${colorScheme}, ${width})`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page fits ${width} px (${overflow} px too wide)`);
      // The refused address is answered 422 on purpose, which the console notes.
      const unexpected = errors.filter((error) => !error.includes("status of 422"));
      assert.deepEqual(unexpected, [], "no console or script errors");
      await context.close();
    }
  } finally {
    receiver.close();
  }
});

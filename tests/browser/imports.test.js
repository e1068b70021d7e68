// Importing a status blog's feed from the admin page, as an admin would:
// upload DNSimple's feed, read each post's verdict, tick a post, import it.
// Every step passes axe, in light on a desktop and in dark on a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertAccessible, openPage, repoRoot, startServer, startBrowser } from "./harness.js";

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

test("an admin uploads a feed, reads each post's verdict and imports the ticked ones", async () => {
  for (const [colorScheme, width] of [["light", 1280], ["dark", 375]]) {
    const { page, context, errors } = await openPage(browser, server.address + "/login", {
      colorScheme,
      viewport: { width, height: 900 },
    });
    await page.fill("#name", "admin");
    await page.fill("#password", server.adminPassword);
    await page.click("form.login button[type=submit]");
    await page.goto(server.address + "/admin/import");
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

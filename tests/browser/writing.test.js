// Writing in a real browser: one writer signs in, files a report with a
// pasted timeline, two factors and an action, takes it through review to
// published, finds it in the list and in search, edits it and reads the diff
// in its history; axe checks every form on the way. Then two writers edit
// the same report at once and the second merges by hand on the conflict page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { assertAccessible, startServer, startBrowser, repoRoot } from "./harness.js";

let server;
let browser;
const passwords = {};

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  passwords.wren = server.addUser("wren", "writer");
  passwords.bob = server.addUser("bob", "writer");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/// A browser context signed in as `name`, with a page that records script
/// errors and CSP reports.
async function signIn(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${server.address}/login?next=/drafts`);
  await page.fill("#name", name);
  await page.fill("#password", passwords[name]);
  await page.click("form.login button[type=submit]");
  await page.waitForURL(/\/drafts$/);
  return { context, page, errors };
}

const button = (page, name) => page.getByRole("button", { name, exact: true });

/// Presses Enter in `field` and counts the form posts it set off: a post
/// leaves within milliseconds, so half a second is a generous wait.
async function postsAfterEnter(page, field) {
  let posts = 0;
  // The form's own posts: the side panel's lookups are fetched, not posted
  // as a page.
  const count = (request) => {
    if (request.method() === "POST" && request.isNavigationRequest()) {
      posts += 1;
    }
  };
  page.on("request", count);
  await page.press(field, "Enter");
  await page.waitForTimeout(500);
  page.off("request", count);
  return posts;
}

/// Waits until app.js has enhanced the page, so a click is handled in place
/// rather than posting the form.
const enhanced = (page) => page.locator("html[data-enhanced=true]").waitFor({ state: "attached" });

test("a writer files a report, publishes it, finds it, edits it and reads the diff", async () => {
  const { context, page, errors } = await signIn("wren");
  await page.getByRole("link", { name: "New report" }).click();
  await page.waitForURL(/\/incidents\/new$/);
  assert.match(await page.inputValue("#body"), /## Trigger and root causes/, "the SRE template fills the narrative");
  await assertAccessible(page, "new report form");

  // A save with no title: the message stands beside the field, typing kept.
  await page.fill("#summary", "Kept while the title is missing.");
  await button(page, "Save draft").click();
  await page.locator("#title-error").waitFor();
  assert.match(await page.locator("#title-error").innerText(), /must not be empty/);
  assert.equal(await page.inputValue("#summary"), "Kept while the title is missing.");
  assert.equal(await page.getAttribute("#title", "aria-invalid"), "true");
  await assertAccessible(page, "form with a validation message");

  // Enter in the title field does not save and leave: the writer stays,
  // with everything typed, until they press a button.
  await page.fill("#title", "Cache config rollout returned errors");
  assert.equal(await postsAfterEnter(page, "#title"), 0, "Enter must not post the form");
  assert.match(page.url(), /\/incidents\/new$/);
  assert.equal(await page.inputValue("#title"), "Cache config rollout returned errors");
  assert.equal(await page.inputValue("#summary"), "Kept while the title is missing.");

  await page.fill("#summary", "A cache configuration change made the edge return **5xx** for 29 minutes.");
  await page.selectOption("#severity", "sev2");
  await page.fill("#services", "edge, cache");
  await page.fill("#tags", "config, rollback");
  await page.fill("#started_at", "2024-03-05 14:02 UTC");
  await page.fill("#detected_at", "14:09");
  await page.fill("#resolved_at", "14:31");

  // Live preview, rendered by the server.
  await enhanced(page);
  await page.locator(".preview-toggle").first().click();
  await page.locator(".preview strong", { hasText: "5xx" }).waitFor();

  // Three timeline rows by paste.
  await page.fill(
    "#paste",
    ["14:02 UTC deploy of the new cache config started", "14:09 - alerts fired for edge 5xx", "2024-03-05 14:31 UTC rolled back the config"].join("\n"),
  );
  await button(page, "Read pasted lines into the timeline").click();
  await page.locator("[role=alert]", { hasText: "Read 3 pasted lines" }).waitFor();
  const rows = page.locator("[data-rows=timeline] [data-row-list] > fieldset");
  assert.equal(await rows.count(), 3);
  assert.equal(await page.inputValue('[name="timeline[1].at"]'), "2024-03-05 14:09", "read in the report's zone, UTC");
  assert.equal(await page.inputValue('[name="timeline[2].kind"]'), "mitigation");
  assert.equal(await page.inputValue("#title"), "Cache config rollout returned errors", "the post-back kept the form");
  const shots = process.env.HINDSIGHT_SCREENSHOTS || join(repoRoot, "docs", "screenshots");
  mkdirSync(shots, { recursive: true });
  await page.setViewportSize({ width: 1000, height: 900 });
  await page.locator("[data-rows=timeline]").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "report-form.png") });

  // Rows move in place with JavaScript and are renumbered.
  await enhanced(page);
  await page.evaluate(() => (window.stillHere = true));
  await button(page, "Move event 3 up").click();
  assert.equal(await page.inputValue('[name="timeline[1].text"]'), "rolled back the config");
  await button(page, "Move event 2 down").click();
  assert.equal(await page.inputValue('[name="timeline[2].text"]'), "rolled back the config");
  assert.equal(await page.evaluate(() => window.stillHere), true, "no round trip");

  // Two factors and one action. The failed save dropped the template's
  // empty rows, so they are added here, in place.
  const factorRows = page.locator("[data-rows=factors] [data-row-list] > fieldset");
  assert.equal(await factorRows.count(), 0);
  await button(page, "Add a factor").click();
  await button(page, "Add a factor").click();
  await button(page, "Add a factor").click();
  await page.fill('[name="factors[2].text"]', "the row that stays");
  await button(page, "Remove factor 2").click();
  assert.equal(await factorRows.count(), 2, "removed in place");
  assert.equal(await page.inputValue('[name="factors[1].text"]'), "the row that stays", "the rows after it are renumbered");
  assert.equal(await page.locator('[name="factors[2].text"]').count(), 0);
  assert.equal(await button(page, "Remove factor 2").count(), 1, "and their buttons too");
  await page.fill('[name="factors[1].text"]', "");
  await button(page, "Add an action item").click();
  assert.equal(await page.locator("[data-rows=factors] [data-row-list] > fieldset").count(), 2);
  assert.equal(await page.locator("[data-rows=actions] [data-row-list] > fieldset").count(), 1);
  assert.equal(await page.evaluate(() => window.stillHere), true, "added in place");
  assert.equal(await page.locator('[name="factors[1].category"]').count(), 1, "the new row is numbered");
  await page.selectOption('[name="factors[0].category"]', "change");
  await page.fill('[name="factors[0].text"]', "The config change shipped to every edge node at once.");
  await page.check('[name="factors[0].primary"]');
  await page.selectOption('[name="factors[1].category"]', "monitoring_gap");
  await page.fill('[name="factors[1].text"]', "No canary check on edge error rates.");
  await page.fill('[name="actions[0].text"]', "Roll cache config out region by region behind a canary.");
  await page.fill('[name="actions[0].owner"]', "edge team");
  await page.fill('[name="actions[0].due_on"]', "2024-04-01");
  await page.fill("#note", "first draft");
  await assertAccessible(page, "filled-in form");
  // Two key moments were written without a date: the form writes out the
  // date it read and asks once before saving.
  await button(page, "Save draft").click();
  await page.locator("[role=alert]", { hasText: "Not saved yet" }).waitFor();
  assert.equal(await page.inputValue("#detected_at"), "2024-03-05 14:09");
  assert.match(await page.locator(".moment + .flag, .flag").first().innerText(), /date not written: read as Tue 5 Mar 2024/);
  await assertAccessible(page, "form with times to confirm");
  await button(page, "Save draft").click();
  await page.waitForURL(/\/incidents\/cache-config-rollout-returned-errors\?saved=1$/);
  assert.match(await page.locator("[role=status]").first().innerText(), /Saved as version 1/);
  assert.match(await page.locator(".writer-bar").innerText(), /draft/);
  assert.equal(await page.locator("ol.events li.event").count(), 3);
  assert.equal(await page.locator(".factors li").count(), 2);

  // Review, then publish.
  await page.getByRole("link", { name: "Edit" }).click();
  await button(page, "Save and submit for review").click();
  await page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);
  await page.getByRole("link", { name: "Edit" }).click();
  await button(page, "Save and publish").click();
  // The narrative is still the template's: publishing asks first.
  await page.locator(".template-left").waitFor();
  assert.match(await page.locator(".template-left").innerText(), /prompt under “Background”/);
  await assertAccessible(page, "the question before publishing template text");
  await page.fill("#body", "## What happened\n\nA cache configuration change reached every edge node at once.");
  await button(page, "Save and publish").click();
  await page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);
  assert.match(await page.locator(".writer-bar").innerText(), /published/);

  // Anyone finds it in the list and in search.
  const reader = await browser.newContext();
  const readerPage = await reader.newPage();
  await readerPage.goto(`${server.address}/incidents`);
  assert.ok((await readerPage.locator("article.card h3").allInnerTexts()).includes("Cache config rollout returned errors"));
  let found = false;
  for (let attempt = 0; attempt < 50 && !found; attempt++) {
    await readerPage.goto(`${server.address}/search?q=canary`);
    found = (await readerPage.locator(".hits article.card h3").allInnerTexts()).some((t) => t.includes("Cache config rollout"));
    if (!found) {
      await readerPage.waitForTimeout(100);
    }
  }
  assert.ok(found, "search finds the new report");
  await reader.close();

  // Edit, then read the diff in the history.
  await page.getByRole("link", { name: "Edit" }).click();
  await page.fill("#summary", "A cache configuration change made the edge return 5xx for 29 minutes, until it was rolled back.");
  await page.fill("#note", "said how it ended");
  await button(page, "Save changes").click();
  await page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);
  await page.getByRole("link", { name: "History" }).click();
  await page.waitForURL(/\/history$/);
  assert.match(await page.locator("table.revisions").innerText(), /said how it ended/);
  assert.match(await page.locator("ol.steps").innerText(), /Published by wren/);
  await assertAccessible(page, "history");
  await page.locator("table.revisions a", { hasText: "changes" }).first().click();
  await page.waitForURL(/\/diff\?from=3&to=4$/);
  assert.match(await page.locator("section.field-change h2").first().innerText(), /Summary/);
  assert.match(await page.locator(".hunk ins").first().innerText(), /until it was rolled back/);
  await assertAccessible(page, "diff");
  assert.deepEqual(errors.filter((e) => !e.includes("422")), [], "no script error or CSP report");
  await context.close();
});

test("a writer pastes a timeline across the change to daylight saving time and reads it in time order", async () => {
  const { context, page, errors } = await signIn("wren");
  await page.goto(`${server.address}/incidents/new?template=blank`);
  await page.fill("#title", "Partial DNS outage across the clock change");
  await page.fill("#zone", "America/Los_Angeles");
  await page.fill("#detected_at", "2013-03-08 12:05");
  await page.fill(
    "#paste",
    [
      "12:30 tweets say names fail to resolve",
      "20:00 UTC east coast fine, west coast failing",
      "~13:15 Boundary shows a flood of queries from Google",
      "23:30 reports keep coming from New Relic users",
      "Mar 11 1 PM Google and Yahoo ranges whitelisted",
    ].join("\n"),
  );
  await button(page, "Read pasted lines into the timeline").click();
  await page.locator("[role=alert]", { hasText: "Read 5 pasted lines" }).waitFor();
  // Every inferred date is written into its row and flagged.
  assert.equal(await page.inputValue('[name="timeline[1].at"]'), "2013-03-08 20:00 UTC", "the 8th, not the 9th");
  assert.match(await page.locator("[data-rows=timeline] fieldset .flag").nth(1).innerText(), /earlier than that line/);
  assert.equal(await page.inputValue('[name="timeline[4].at"]'), "2013-03-11 13:00");
  assert.match(await page.locator("#timeline-order").innerText(), /not in time order/);
  await assertAccessible(page, "pasted rows with flags and the order notice");
  await button(page, "Sort the events by time").click();
  await page.waitForLoadState();
  assert.equal(await page.inputValue('[name="timeline[0].text"]'), "east coast fine, west coast failing");
  assert.equal(await page.locator("#timeline-order").count(), 0);
  await button(page, "Save draft").click();
  await page.waitForURL(/partial-dns-outage-across-the-clock-change\?saved=1$/);

  const local = await page.locator("ol.events li.event .local").allInnerTexts();
  assert.deepEqual(local, ["12:00 PST", "12:30 PST", "about 13:15 PST", "23:30 PST", "13:00 PDT"]);
  const utc = await page.locator("ol.events li.event .utc").allInnerTexts();
  assert.deepEqual(utc, ["20:00 UTC", "20:30 UTC", "21:15 UTC", "07:30 UTC, Sat 9 Mar", "20:00 UTC"]);
  assert.deepEqual(await page.locator("ol.events li.day h3").allInnerTexts(), ["Fri 8 Mar 2013", "Mon 11 Mar 2013"]);
  assert.match(await page.locator(".zone-note").innerText(), /PST \(UTC−08:00\), then PDT \(UTC−07:00\) from 10 Mar 2013/);
  await assertAccessible(page, "report across daylight saving time");
  // On a phone the strip's labels stay readable.
  await page.setViewportSize({ width: 375, height: 800 });
  assert.equal(await page.locator("svg.strip-wide").isVisible(), false);
  const label = page.locator("svg.strip-narrow text.tick").first();
  const height = (await label.boundingBox()).height;
  assert.ok(height >= 11, `the strip's labels are ${height}px tall on a phone`);
  const shots = process.env.HINDSIGHT_SCREENSHOTS || join(repoRoot, "docs", "screenshots");
  await page.locator("section.timeline").screenshot({ path: join(shots, "timeline-phone.png") });
  assert.deepEqual(errors.filter((e) => !e.includes("422")), []);
  await context.close();
});

test("two writers edit at once: the second sees both versions, keeps both texts and merges", async () => {
  const wren = await signIn("wren");
  const bob = await signIn("bob");
  const edit = "/incidents/cache-config-rollout-returned-errors/edit";
  await wren.page.goto(server.address + edit);
  await bob.page.goto(server.address + edit);
  await wren.page.fill("#summary", "Wren's summary.");
  await button(wren.page, "Save changes").click();
  await wren.page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);

  await bob.page.fill("#summary", "Bob's summary.");
  await button(bob.page, "Save changes").click();
  await bob.page.locator("#conflict-heading").waitFor();
  const table = await bob.page.locator("table.side-by-side").innerText();
  assert.match(table, /Bob's summary\./);
  assert.match(table, /Wren's summary\./);
  assert.equal(await bob.page.inputValue("#summary"), "Bob's summary.", "the form keeps Bob's text");
  assert.equal(await bob.page.locator("table.side-by-side mark.yours").first().textContent(), "only yours: Bob's summary.");
  await assertAccessible(bob.page, "conflict page");

  assert.equal(await postsAfterEnter(bob.page, "#title"), 0, "Enter on the conflict page keeps nothing and saves nothing");

  // Keeping both texts is one button: both lines land in the form.
  await button(bob.page, "Keep both texts").click();
  await bob.page.locator("text=Both texts are now in the summary").waitFor();
  assert.equal(await bob.page.inputValue("#summary"), "Wren's summary.\nBob's summary.");
  await bob.page.fill("#summary", "Wren's summary, with Bob's detail.");
  await button(bob.page, "Save changes").click();
  await bob.page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);
  assert.match(await bob.page.locator(".summary.lead").innerText(), /Wren.s summary, with Bob.s detail\./, "smart quotes and all");
  assert.deepEqual(wren.errors, []);
  assert.deepEqual(bob.errors.filter((e) => !e.includes("409")), []);
  await wren.context.close();
  await bob.context.close();
});

test("the report form fits a phone and passes axe in the dark scheme", async () => {
  const { context, page, errors } = await signIn("wren");
  await page.setViewportSize({ width: 375, height: 800 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${server.address}/incidents/new`);
  await enhanced(page);
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the form scrolls sideways by ${overflow}px on a phone`);
  await assertAccessible(page, "form (dark, phone)");
  // A chosen value is shown whole, on a phone and on a wide screen.
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.selectOption("#detection", "customer_report");
    for (const [id, text] of [["#detection", "Customer report"], ["#started_at-precision", "from the text"]]) {
      const [shown, needed] = await page.evaluate(([id, text]) => {
        const select = document.querySelector(id);
        const probe = document.createElement("span");
        probe.style.font = getComputedStyle(select).font;
        probe.textContent = text;
        document.body.append(probe);
        const needed = probe.offsetWidth;
        probe.remove();
        return [select.clientWidth, needed];
      }, [id, text]);
      assert.ok(shown >= needed + 16, `"${text}" is cut off at ${width}px: ${shown}px for ${needed}px of text`);
    }
  }
  await page.goto(`${server.address}/drafts`);
  await assertAccessible(page, "drafts (dark, phone)");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the history and report pages fit a phone, pass axe, and print without the site's controls", async () => {
  const { context, page, errors } = await signIn("wren");
  await page.setViewportSize({ width: 375, height: 800 });
  const report = `${server.address}/incidents/honeycomb-api-outage-2019-07-09`;
  for (const [path, label] of [[`${report}/history`, "history"], [report, "report"], [`${report}/delete`, "delete"]]) {
    for (const colorScheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme });
      await page.goto(path);
      const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the ${label} page scrolls sideways by ${overflow}px on a phone`);
      await assertAccessible(page, `${label} (${colorScheme}, phone)`);
    }
  }
  // On paper: no search box or menu, and the source's address written out.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ media: "print", colorScheme: "light" });
  await page.goto(report);
  assert.equal(await page.locator("header.site .site-search").isVisible(), false, "the search box is not printed");
  assert.equal(await page.locator("header.site nav").isVisible(), false, "nor the menu");
  const source = await page.locator("a.source").evaluate((link) => getComputedStyle(link, "::after").content);
  assert.match(source, /https:\/\//, "the source link prints its address");
  await assertAccessible(page, "report (print)");
  await page.emulateMedia({ media: "print" });
  await page.goto(`${report}/history`);
  assert.equal(await page.locator("header.site .site-search").isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test("typing in a related link offers the reports whose titles match", async () => {
  const { context, page, errors } = await signIn("wren");
  await page.goto(`${server.address}/incidents/new`);
  await enhanced(page);
  await button(page, "Add a link").click();
  const field = page.locator("#related-0-slug");
  await field.fill("stack overflow");
  const option = page.locator('#related-0-choices option[value="bunnynet-dns-outage-binarypack-stack-overflow"]');
  await option.waitFor({ state: "attached" });
  assert.match(await option.getAttribute("label"), /BinaryPack|stack overflow/i);
  assert.equal(await page.getAttribute("#related-0-slug", "list"), "related-0-choices");
  await assertAccessible(page, "form with a related link");
  assert.deepEqual(errors, []);
  await context.close();
});

test("without JavaScript a post-back returns to where the writer was, and problems link to their fields", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${server.address}/login?next=/incidents/new`);
  await page.fill("#name", "wren");
  await page.fill("#password", passwords.wren);
  await page.click("form.login button[type=submit]");
  await page.waitForURL(/\/incidents\/new$/);
  const inView = async (selector) => {
    const box = await page.locator(selector).boundingBox();
    return box !== null && box.y >= 0 && box.y < 800;
  };
  // A row button far down the form posts the form back and lands there.
  await button(page, "Add a link").click();
  await page.waitForURL(/#related$/);
  assert.ok(await inView("#related-0-slug"), "the new link's row is on screen");
  // A save with problems lists them at the top, each a link to its field.
  await page.fill("#title", "");
  await page.fill("#related-0-slug", "words, not an address");
  await button(page, "Save draft").click();
  await page.locator(".error-summary").waitFor();
  // (Read through the locator, which works with scripts off.)
  const summary = page.locator(".error-summary a");
  const links = [];
  for (let i = 0; i < (await summary.count()); i++) {
    links.push(await summary.nth(i).getAttribute("href"));
  }
  assert.deepEqual(links, ["#title", "#related-0-slug"]);
  await page.locator(".error-summary a[href='#related-0-slug']").click();
  await page.waitForURL(/#related-0-slug$/);
  assert.ok(await inView("#related-0-slug"), "the link goes to the field");
  await context.close();
});

test("a writer restores an old version of a published report: it goes back to review, and is published again", async () => {
  const { context, page, errors } = await signIn("wren");
  const report = `${server.address}/incidents/cache-config-rollout-returned-errors`;
  await page.goto(`${report}/history`);
  await page.getByRole("link", { name: "Restore version 1" }).click();
  await page.waitForURL(/\/history\/1\/restore$/);
  assert.match(await page.locator("main").innerText(), /The report is published\./);
  await assertAccessible(page, "restore confirmation");
  await button(page, "Restore version 1 and send it to review").click();
  await page.waitForURL(/\/history\?restored=\d+$/);
  assert.match(await page.locator("[role=status]").first().innerText(), /back to review\)\. The report is in review\./);
  await page.goto(report);
  assert.match(await page.locator(".writer-bar").innerText(), /in review/);
  await page.getByRole("link", { name: "Edit" }).click();
  await button(page, "Save and publish").click();
  // Version 1 is the template's narrative: publishing asks first.
  await page.locator(".template-left").waitFor();
  await button(page, "Publish with the template text").click();
  await page.waitForURL(/cache-config-rollout-returned-errors\?saved=\d+$/);
  assert.match(await page.locator(".writer-bar").innerText(), /published/);
  assert.deepEqual(errors, []);
  await context.close();
});

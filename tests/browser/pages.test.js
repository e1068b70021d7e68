// The reading pages in a real browser: they render, filter, link the
// timeline strip to its rows, fit a phone, raise no CSP violation, and pass
// axe-core with no serious or critical violation, in light and dark.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { assertAccessible, openPage, startServer, startBrowser, repoRoot } from "./harness.js";

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

/// A fresh page at `path` that records console errors.
const open = (path, options = {}) => openPage(browser, server.address + path, options);

test("the home page shows recent reports and open action items", async () => {
  const { page, context, errors, response } = await open("/");
  assert.equal(response.status(), 200);
  assert.equal(await page.locator("h1").innerText(), "What we learned from our incidents");
  assert.ok((await page.locator("article.card").count()) >= 6);
  assert.ok((await page.locator(".actions li").count()) > 0);
  await assertAccessible(page, "home");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the incident list filters by organization through its form", async () => {
  const { page, context, errors } = await open("/incidents");
  assert.equal(await page.locator("article.card").count(), 8);
  await page.selectOption("select[name=organization]", "DNSimple");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/organization=DNSimple/);
  assert.equal(await page.locator("article.card").count(), 4);
  assert.ok((await page.locator("article.card h3").allInnerTexts()).every((t) => t.length > 0));
  await assertAccessible(page, "filtered list");
  assert.deepEqual(errors, []);
  await context.close();
});

test("an incident page tells its story through the timeline", async () => {
  const { page, context, errors } = await open("/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20");
  await page.locator("svg.strip-wide").waitFor();
  assert.ok((await page.locator("ol.events li.event").count()) >= 8);
  assert.ok((await page.locator("ol.events li.phase").count()) >= 3, "key moments are marked");
  assert.match(await page.locator("ol.events").innerText(), /PDT/);
  assert.match(await page.locator("ol.events").innerText(), /later/);
  // A mark on the overview strip leads to its row.
  const mark = page.locator("svg.strip-wide a[href^='#event-']").nth(1);
  const target = await mark.getAttribute("href");
  await mark.click();
  await page.waitForURL(new RegExp(`${target}$`));
  assert.ok(await page.locator(`${target}.target`).isVisible(), "the row the reader jumped to is highlighted");
  await assertAccessible(page, "incident (light)");
  assert.deepEqual(errors, [], "no CSP violation or script error");
  await context.close();
});

test("the incident page passes axe in the dark scheme and fits a phone", async () => {
  const { page, context } = await open("/incidents/honeycomb-api-outage-2019-07-09", {
    colorScheme: "dark",
    viewport: { width: 375, height: 800 },
    deviceScaleFactor: 1,
  });
  await assertAccessible(page, "incident (dark, phone)");
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px on a phone`);
  await context.close();
});

test("the other reading pages pass axe", async () => {
  for (const path of ["/actions", "/factors", "/factors/software_defect", "/tags", "/tags/dns", "/services", "/services/dns", "/no-such-page"]) {
    const { page, context, errors } = await open(path);
    await assertAccessible(page, path);
    assert.deepEqual(errors.filter((e) => !e.includes("404")), [], path);
    await context.close();
  }
});

test("searching from the header finds reports, highlights matches and narrows by facet", async () => {
  const { page, context, errors } = await open("/");
  await page.fill("#site-q", "stack overflow");
  await page.press("#site-q", "Enter");
  await page.waitForURL(/\/search\?q=stack\+overflow/);
  const titles = await page.locator(".hits article.card h3").allInnerTexts();
  assert.match(titles[0], /BinaryPack/);
  assert.ok((await page.locator(".hits mark").count()) > 0, "matches are highlighted");
  await assertAccessible(page, "search results");
  await page.goto(server.address + "/search?q=dns");
  await page.locator(".facets a", { hasText: "DNSimple" }).click();
  await page.waitForURL(/organization=DNSimple/);
  assert.equal(await page.locator(".hits article.card").count(), 3);
  const odd = await page.goto(server.address + "/search?q=" + encodeURIComponent("(".repeat(40) + "dns"));
  assert.equal(odd.status(), 400);
  assert.match(await page.locator("[role=alert]").innerText(), /deep/);
  await assertAccessible(page, "search with a refused query");
  assert.deepEqual(errors.filter((e) => !e.includes("400")), []);
  await context.close();
});

test("the first admin signs in with the password the first start printed, and signs out", async () => {
  assert.ok(server.adminPassword, "the first start printed a password");
  const { page, context, errors } = await open("/login?next=/actions");
  await assertAccessible(page, "sign-in form");
  await page.fill("#name", "admin");
  await page.fill("#password", "not the password");
  await page.click("form.login button[type=submit]");
  assert.match(await page.locator("[role=alert]").innerText(), /do not match/);
  assert.equal(await page.inputValue("#name"), "admin", "the name typed is kept");
  await page.fill("#password", server.adminPassword);
  await page.click("form.login button[type=submit]");
  await page.waitForURL(/\/actions$/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "hindsight_session");
  assert.ok(session && session.httpOnly && session.sameSite === "Lax", "an HttpOnly, SameSite=Lax session cookie");
  await page.goto(server.address + "/login");
  assert.match(await page.locator("main").innerText(), /signed in as admin/i);
  await assertAccessible(page, "account page");
  await page.click("text=Sign out");
  await page.waitForURL(server.address + "/");
  assert.equal((await context.cookies()).find((c) => c.name === "hindsight_session"), undefined);
  assert.deepEqual(errors.filter((e) => !e.includes("401")), []);
  await context.close();
});

test("the Atom feed is well-formed XML with an entry per published report", async () => {
  const { page, context } = await open("/");
  const result = await page.evaluate(async () => {
    const text = await (await fetch("/feed.atom")).text();
    const xml = new DOMParser().parseFromString(text, "application/xml");
    const ns = "http://www.w3.org/2005/Atom";
    return {
      error: xml.getElementsByTagName("parsererror").length,
      entries: xml.getElementsByTagNameNS(ns, "entry").length,
      withIds: [...xml.getElementsByTagNameNS(ns, "entry")].filter((e) => e.getElementsByTagNameNS(ns, "id").length === 1 && e.getElementsByTagNameNS(ns, "updated").length === 1).length,
      feedTitle: xml.getElementsByTagNameNS(ns, "title")[0]?.textContent,
    };
  });
  assert.equal(result.error, 0);
  assert.equal(result.entries, 8);
  assert.equal(result.withIds, 8);
  assert.equal(result.feedTitle, "Hindsight: incident reports");
  await context.close();
});

test("screenshots of an incident page for the README, light and dark", async () => {
  const directory = process.env.HINDSIGHT_SCREENSHOTS || join(repoRoot, "docs", "screenshots");
  mkdirSync(directory, { recursive: true });
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await open("/incidents/honeycomb-api-outage-2019-07-09", {
      colorScheme: scheme,
      viewport: { width: 1100, height: 1500 },
    });
    const file = join(directory, `incident-${scheme}.png`);
    await page.screenshot({ path: file, fullPage: false });
    await context.close();
  }
});

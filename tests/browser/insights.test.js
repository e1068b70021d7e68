// Learning across incidents in a real browser: /insights and "Has this
// happened before?" pass axe in light and dark and fit a phone; the
// editor's side panel follows what the writer types; the action items'
// Atom feed and calendar read in a real feed parser and a real iCalendar
// parser.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { parseFeed } from "@rowanmanning/feed-parser";
import ICAL from "ical.js";
import { assertAccessible, openPage, startServer, startBrowser } from "./harness.js";

let server;
let browser;
let token;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  token = server.addToken("admin", "write");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/// A fresh page at `path` that records console errors.
const open = (path, options = {}) => openPage(browser, server.address + path, options);

async function api(method, path, body, headers = {}) {
  const response = await fetch(server.address + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response;
}

test("/insights passes axe in light and dark, on a desktop and a phone", async () => {
  for (const [colorScheme, width] of [["light", 1280], ["dark", 375]]) {
    const { page, context, errors, response } = await open("/insights", { colorScheme, viewport: { width, height: 900 } });
    assert.equal(response.status(), 200);
    await assertAccessible(page, `/insights (${colorScheme}, ${width})`);
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `/insights scrolls sideways by ${overflow}px at ${width}px`);
    assert.deepEqual(errors, []);
    assert.ok(await page.getByText("Why no averages?").isVisible());
    // Every chart has its table: the durations, the trends.
    assert.equal(await page.locator("svg.distribution").count(), await page.locator("#durations-heading ~ .chart-block svg").count());
    assert.ok((await page.locator("table.figures").count()) >= 6);
    await context.close();
  }
  // A filter that does not read is said beside the form, and nothing is counted.
  const { page, context, response } = await open("/insights?from=sometime");
  assert.equal(response.status(), 422);
  assert.match(await page.locator(".field-error").first().innerText(), /From: `sometime` is not a year/);
  await assertAccessible(page, "/insights with a bad filter");
  await context.close();
});

test("a report that happened before shows the earlier ones and passes axe", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const { page, context } = await open("/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20", { colorScheme });
    const panel = page.locator("section.happened-before");
    assert.match(await panel.innerText(), /ALIAS resolution failures/);
    await assertAccessible(page, `report with its earlier incidents (${colorScheme})`);
    await context.close();
  }
});

test("the editor's side panel follows what the writer types", async () => {
  const { page, context, errors } = await open("/login");
  await page.fill("input[name=name]", "admin");
  await page.fill("input[name=password]", server.adminPassword);
  await page.click("form.login button[type=submit]");
  await page.goto(server.address + "/incidents/new");
  await page.waitForSelector("html[data-enhanced=true]");
  const panel = page.locator("#happened-before");
  assert.match(await panel.innerText(), /Give the report its services/);
  await page.fill("#services", "dns");
  await page.selectOption('select[name="factors[0].category"]', "configuration");
  await page.fill('textarea[name="factors[0].text"]', "A rate limit was set too low for the query mix.");
  await page.waitForFunction(() => document.querySelector("#happened-before").innerText.includes("Partial DNS outage"), null, { timeout: 10_000 });
  assert.match(await panel.innerText(), /Similar incidents/);
  await assertAccessible(page, "editor with its side panel");

  // Ticks follow their factors when factor rows move or go in place.
  await page.getByRole("button", { name: "Add a factor" }).click();
  await page.selectOption('select[name="factors[1].category"]', "capacity");
  await page.fill('textarea[name="factors[1].text"]', "The limiter had no headroom.");
  await page.locator("button[value=preview]").first().click();
  await page.waitForSelector('input[name="actions[0].addresses"][value="1"]');
  await page.check('input[name="actions[0].addresses"][value="1"]');
  await page.waitForSelector("html[data-enhanced=true]");
  await page.evaluate(() => { window.stillHere = true; });
  await page.getByRole("button", { name: "Remove factor 1" }).click();
  assert.equal(await page.evaluate(() => window.stillHere), true, "removed in place");
  const boxes = page.locator('input[name="actions[0].addresses"]');
  assert.equal(await boxes.count(), 1);
  assert.equal(await boxes.first().getAttribute("value"), "0");
  assert.ok(await boxes.first().isChecked(), "still ticked, on the capacity factor");
  assert.match(await page.locator("fieldset.addresses label").first().innerText(), /^1 · Capacity: The limiter/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the action items' feed and calendar read in real parsers", async () => {
  // An open item due on a known day, owned by someone, on a published report.
  const created = await api("POST", "/api/v1/incidents", {
    title: "Queue stalled",
    status: "draft",
    services: ["queue"],
    started_at: { at: "2024-02-01T10:00:00Z", zone: "UTC" },
    factors: [{ category: "capacity", text: "The queue had no headroom." }],
    actions: [
      { text: "Alert at 80% depth, then page; see runbook", owner: "ops, east", status: "open", due_on: "2024-03-31", addresses: [0] },
      { text: "Write the runbook", owner: "ops, east", status: "done", completed_at: "2024-02-10 12:00 UTC" },
    ],
  });
  assert.equal(created.status, 201, await created.text());
  for (const [status, version] of [["in_review", 1], ["published", 2]]) {
    const moved = await api("PATCH", "/api/v1/incidents/queue-stalled", { status }, { "If-Match": `"${version}"` });
    assert.equal(moved.status, 200, await moved.text());
  }

  const atom = await (await fetch(`${server.address}/actions/feed.atom?owner=${encodeURIComponent("ops, east")}`)).text();
  const feed = parseFeed(atom);
  assert.equal(feed.meta.type, "atom");
  assert.equal(feed.title, "Hindsight: action items of ops, east");
  assert.deepEqual(
    feed.items.map((item) => item.title),
    ["Overdue since 2024-03-31: Alert at 80% depth, then page; see runbook", "Done 2024-02-10: Write the runbook"],
  );
  assert.ok(feed.items.every((item) => item.url.includes("/incidents/queue-stalled#action-")));
  const everyone = parseFeed(await (await fetch(`${server.address}/actions/feed.atom`)).text());
  assert.ok(everyone.items.length > 2, "everyone's items, the seeds' among them");

  const ics = await (await fetch(`${server.address}/actions/calendar.ics?owner=${encodeURIComponent("ops, east")}`)).text();
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const events = calendar.getAllSubcomponents("vevent").map((event) => new ICAL.Event(event));
  assert.equal(events.length, 1, "the open item with a due date; the done one has none to show");
  assert.equal(events[0].summary, "Due: Alert at 80% depth, then page; see runbook");
  assert.equal(events[0].startDate.toString(), "2024-03-31");
  assert.ok(events[0].startDate.isDate, "an all-day event");
  assert.match(events[0].description, /^Open for “Queue stalled”; owner ops, east\.\nhttp:.*\/incidents\/queue-stalled#action-1$/);
  assert.ok(ics.split("\r\n").every((line) => new TextEncoder().encode(line).length <= 75), "folded at 75 octets");

  // A draft's action items stay with its writers.
  const draft = await api("POST", "/api/v1/incidents", {
    title: "Draft with an action",
    actions: [{ text: "Secret follow-up", owner: "ops, east", due_on: "2030-01-01" }],
  });
  assert.equal(draft.status, 201);
  const again = await (await fetch(`${server.address}/actions/calendar.ics?owner=${encodeURIComponent("ops, east")}`)).text();
  assert.ok(!again.includes("Secret follow-up"));
  assert.ok(!(await (await fetch(`${server.address}/actions/feed.atom`)).text()).includes("Secret follow-up"));

  const { page, context } = await open(`/actions?owner=${encodeURIComponent("ops, east")}`, { colorScheme: "dark" });
  assert.match(await page.locator("h1").innerText(), /Action items of ops, east/);
  assert.equal(await page.locator('a[href="/actions/calendar.ics?owner=ops%2C%20east"]').count(), 1);
  await assertAccessible(page, "one owner's action items (dark)");
  await context.close();
});

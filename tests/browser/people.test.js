// Managing people in the browser, as an admin would: add a writer (their
// password shown once), and when they leave, disable them; their open
// session and their token stop at the next request. The people, tokens,
// audit and settings pages pass axe in light on a desktop and in dark on
// a phone, and fit the phone's width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { assertAccessible, signedIn as signedInThrough, startServer, startBrowser } from "./harness.js";

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

/// A fresh page signed in as `name`, at `path`.
const signedIn = (name, password, path, colorScheme, width) =>
  signedInThrough(browser, server, name, password, path, colorScheme, width);

async function fits(page, label, width) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${label} fits ${width} px (${overflow} px too wide)`);
}

test("an admin adds a writer, and disabling them ends their session and token at once", async () => {
  const admin = await signedIn("admin", server.adminPassword, "/admin/people");
  await assertAccessible(admin.page, "people (light, 1280)");
  await admin.page.fill("#person-name", "grace");
  await admin.page.selectOption("#person-role", "writer");
  await admin.page.click("form.token-form button[type=submit]");
  const notice = admin.page.locator(".notice[role=status]");
  assert.match(await notice.innerText(), /Added grace/);
  const password = await notice.locator("code.secret").innerText();
  assert.equal(password.length, 20);

  // Grace signs in elsewhere and makes herself a token.
  const grace = await signedIn("grace", password, "/settings/tokens");
  await grace.page.fill("#token-name", "deploy bot");
  await grace.page.selectOption("#token-scope", "write");
  await grace.page.click("form.token-form button[type=submit]");
  const token = await grace.page.locator("code.secret").innerText();
  const asGrace = () => fetch(server.address + "/api/v1/incidents", { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await asGrace()).status, 200);

  await admin.page.goto(server.address + "/admin/tokens");
  assert.match(await admin.page.locator("main").innerText(), /deploy bot/);
  await assertAccessible(admin.page, "tokens (light, 1280)");

  await admin.page.goto(server.address + "/admin/people");
  await admin.page.getByRole("button", { name: /Disable grace/ }).click();
  await admin.page.waitForSelector(".person.disabled");
  assert.match(await admin.page.locator(".person.disabled").innerText(), /disabled since/);

  // Her next request: the session is gone, and so is the token.
  await grace.page.goto(server.address + "/settings/tokens");
  assert.match(new URL(grace.page.url()).pathname, /^\/login/);
  assert.equal((await asGrace()).status, 401);
  await grace.page.fill("#name", "grace");
  await grace.page.fill("#password", password);
  await grace.page.click("form.login button[type=submit]");
  assert.match(await grace.page.locator(".notice").innerText(), /has been disabled/);

  await admin.page.goto(server.address + "/admin/audit?action=user");
  assert.match(await admin.page.locator("table.audit").innerText(), /user\.disable\s+grace\s+ended 1 session\(s\), revoked 1 token\(s\)/);
  await assertAccessible(admin.page, "audit log (light, 1280)");
  assert.deepEqual(admin.errors, [], "no console or script errors");
  // The refused sign-in answers 403, which the console reports.
  assert.deepEqual(grace.errors.filter((error) => !/status of 403/.test(error)), [], "no other console or script errors");
  await admin.context.close();
  await grace.context.close();
});

test("an admin backs up now and reads the result", async () => {
  const { page, context, errors } = await signedIn("admin", server.adminPassword, "/admin/backups");
  assert.match(await page.locator("main").innerText(), /None since this server started/);
  await page.getByRole("button", { name: "Back up now" }).click();
  await page.waitForSelector(".kept-backups li");
  assert.match(await page.locator(".notice").innerText(), /Good, .*hindsight-\d{8}T\d{6}Z\.db .*checked by SQLite's integrity check/);
  await assertAccessible(page, "backups (light, 1280)");
  // Taking a backup answers 201, which the console does not report.
  assert.deepEqual(errors, [], "no console or script errors");
  await context.close();
});

test("the people, tokens, audit, backups and settings pages read well in dark on a phone", async () => {
  const { page, context, errors } = await signedIn("admin", server.adminPassword, "/admin/people", "dark", 375);
  for (const path of ["/admin/people", "/admin/tokens", "/admin/audit", "/admin/audit?since=soon", "/admin/backups", "/settings"]) {
    await page.goto(server.address + path);
    await assertAccessible(page, `${path} (dark, 375)`);
    await fits(page, path, 375);
  }
  // A wrong current password is named beside its field.
  await page.fill("#current-password", "not it at all");
  await page.fill("#new-password", "a long new passphrase");
  await page.fill("#confirm-password", "a long new passphrase");
  await page.click("form.token-form button[type=submit]");
  assert.match(await page.locator("#current-password-error").innerText(), /not your current password/);
  await assertAccessible(page, "settings refused (dark, 375)");
  // The refused filter and form answer 422, which the console reports.
  assert.deepEqual(errors.filter((error) => !/status of 422/.test(error)), [], "no other console or script errors");
  await context.close();
});

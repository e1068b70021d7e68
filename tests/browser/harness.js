// Starts the real hindsight binary on a free port with a fresh data dir, and
// a headless Debian chromium driven by Playwright.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..", "..");

export async function startServer() {
  const binary = process.env.HINDSIGHT_BIN || join(repoRoot, "target", "debug", "hindsight");
  if (!existsSync(binary)) {
    throw new Error(`no hindsight binary at ${binary}: run cargo build first, or set HINDSIGHT_BIN`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "hindsight-browser-"));
  const env = { ...process.env, HINDSIGHT_DATA_DIR: dataDir, HINDSIGHT_ADDR: "127.0.0.1:0", RUST_LOG: "info" };
  delete env.DATABASE_URL;
  const child = spawn(binary, [], { env, stdio: ["ignore", "ignore", "pipe"] });
  let adminPassword = null;
  const address = await new Promise((resolveAddress, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not announce its address in 30 s")), 30_000);
    let buffered = "";
    child.stderr.on("data", (chunk) => {
      buffered += chunk.toString();
      const password = buffered.match(/created the admin account `admin` with the password (\S+)/);
      if (password) {
        adminPassword = password[1];
      }
      const match = buffered.match(/serving on (http:\/\/[0-9.:]+)/);
      if (match) {
        clearTimeout(timer);
        resolveAddress(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`the server exited with ${code}: ${buffered}`)));
  });
  return {
    address,
    adminPassword,
    /// Adds a user through the CLI, as an admin would, and returns the
    /// password it printed.
    addUser(name, role) {
      const output = execFileSync(binary, ["user", "add", "--role", role, name], { env, encoding: "utf8" });
      const match = output.match(/with the password: (\S+)/);
      if (!match) {
        throw new Error(`hindsight user add printed no password: ${output}`);
      }
      return match[1];
    },
    /// Issues an API token through the CLI, as an admin would.
    addToken(user, scope) {
      return execFileSync(binary, ["token", "add", "--scope", scope, user], { env, encoding: "utf8" }).trim();
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done() : child.on("exit", done)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/// Opens `url` in a fresh context and page that record console errors (CSP
/// reports among them) and script errors.
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  const response = await page.goto(url);
  return { page, context, errors, response };
}

/// A fresh page signed in through the form as `name`, then at `path`.
export async function signedIn(browser, server, name, password, path, colorScheme = "light", width = 1280) {
  const opened = await openPage(browser, server.address + "/login", { colorScheme, viewport: { width, height: 900 } });
  await opened.page.fill("#name", name);
  await opened.page.fill("#password", password);
  await opened.page.click("form.login button[type=submit]");
  await opened.page.waitForURL((url) => !url.pathname.startsWith("/login"));
  await opened.page.goto(server.address + path);
  return opened;
}

/// Runs axe-core on the page: no serious or critical violation.
export async function assertAccessible(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(described, [], `${label}: axe found serious or critical violations`);
}

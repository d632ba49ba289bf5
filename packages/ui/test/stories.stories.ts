// Runs every story of the built Storybook in Chromium: it must render (and its play function pass)
// with no serious or critical axe finding. Build first: npm run build-storybook.
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const STATIC_DIR = new URL("../storybook-static/", import.meta.url).pathname;
const CHROMIUM = process.env.EARSHOT_CHROMIUM ?? "/usr/bin/chromium";
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".woff2": "font/woff2" };
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface IndexEntry {
  id: string;
  title: string;
  name: string;
  type: "story" | "docs";
}

function serve(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

if (!existsSync(join(STATIC_DIR, "index.json"))) throw new Error("No built Storybook: run `npm run build-storybook` first.");
const stories = Object.values(
  (JSON.parse(readFileSync(join(STATIC_DIR, "index.json"), "utf8")) as { entries: Record<string, IndexEntry> }).entries,
).filter((entry) => entry.type === "story");

let server: Server;
let browser: Browser;
let base: string;

beforeAll(async () => {
  server = await serve(STATIC_DIR);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe("stories in Chromium", () => {
  it("the Storybook has a story for every component", () => {
    const titles = new Set(stories.map((story) => story.title.split("/").pop()));
    for (const component of ["AudioLevelMeter", "ChatMessage", "CallControls", "CustomerInfoCard", "AISuggestionPanel", "SentimentTrend", "MetricCard"]) {
      expect(titles).toContain(component);
    }
  });

  it.each(["light", "dark"])("every story renders, plays and has no serious or critical axe finding (%s theme)", async (theme) => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    try {
      for (const story of stories) {
        await page.goto(`${base}/iframe.html?id=${story.id}&viewMode=story&globals=theme:${theme}`);
        const phase = await page.waitForFunction(
          () => {
            const render = (window as unknown as { __STORYBOOK_PREVIEW__?: { currentRender?: { phase?: string } } }).__STORYBOOK_PREVIEW__?.currentRender;
            const done = ["finished", "completed", "errored", "aborted"];
            return render?.phase && done.includes(render.phase) ? render.phase : false;
          },
          undefined,
          { timeout: 20_000 },
        );
        const finalPhase = await phase.jsonValue();
        if (finalPhase !== "finished" && finalPhase !== "completed") problems.push(`${story.id}: ${finalPhase}`);
        if (await page.locator("body.sb-show-errordisplay").count()) problems.push(`${story.id}: error display`);
        await page.addScriptTag({ content: AXE_SOURCE });
        const findings = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run: (context: string, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
          const result = await axe.run("#storybook-root", { resultTypes: ["violations"] });
          return result.violations
            .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
            .map((violation) => `${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
        });
        problems.push(...findings.map((finding) => `${story.id}: ${finding}`));
      }
    } finally {
      await page.close();
    }
    expect(problems).toEqual([]);
  });
});

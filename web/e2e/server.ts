// Starts a real Earshot server (demo data, temporary data dir, free port) and Debian's Chromium.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

const ROOT = resolve(__dirname, "..", "..");

/** The shared test data: EARSHOT_SHARED_DIR, else `shared/` beside this checkout, else beside the
 * checkout it was cloned from (so `git clone . /tmp/fresh` still finds the recorded calls). */
function sharedDir(): string {
  if (process.env.EARSHOT_SHARED_DIR) return process.env.EARSHOT_SHARED_DIR;
  const beside = resolve(ROOT, "..", "shared");
  if (existsSync(beside)) return beside;
  try {
    const origin = execFileSync("git", ["-C", ROOT, "remote", "get-url", "origin"], { encoding: "utf8" }).trim();
    if (origin && existsSync(origin)) return resolve(origin, "..", "shared");
  } catch {
    // not a clone of a local checkout
  }
  return beside;
}

export const CALLS_AUDIO = join(sharedDir(), "calls", "audio");
export const SPEECH_REAL_AUDIO = join(sharedDir(), "speech-real", "audio");
export const RESULTS = resolve(__dirname, "..", "test-results");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

export interface RunningEarshot {
  baseUrl: string;
  stop: () => Promise<void>;
}

/** Starts `earshot serve --demo` on a free port with a fresh data dir; `stop` kills it and cleans up. */
export async function startEarshot(extraEnv: Record<string, string> = {}): Promise<RunningEarshot> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "earshot-e2e-"));
  const binary = process.env.EARSHOT_BIN ?? join(ROOT, ".venv", "bin", "earshot");
  const child: ChildProcess = spawn(binary, ["serve", "--demo", "--port", String(port)], {
    // Recording on whatever the default is: the browser tests play and check the calls' recordings.
    // No made-up call history unless a test asks for it: writing weeks of calls slows every start.
    env: {
      ...process.env,
      EARSHOT_DATA_DIR: dataDir,
      EARSHOT_LOG_LEVEL: "WARNING",
      EARSHOT_RECORDING_ENABLED: "true",
      EARSHOT_DEMO_HISTORY_DAYS: "0",
      ...extraEnv,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  let spawnError: Error | null = null;
  child.on("error", (error) => (spawnError = error));
  // Never leave a server behind, even if the test runner itself dies.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (spawnError === null && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      const timeout = new Promise((done) => setTimeout(done, 5000, "timeout"));
      if ((await Promise.race([exited, timeout])) === "timeout") {
        child.kill("SIGKILL");
        await exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  try {
    for (;;) {
      if (spawnError) throw new Error(`cannot start ${binary}: ${(spawnError as Error).message}`);
      if (child.exitCode !== null) throw new Error(`earshot exited with ${child.exitCode} before answering /api/health`);
      try {
        const response = await fetch(`${baseUrl}/api/health`);
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("earshot did not answer /api/health within 90 s");
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}

/** Chromium's flags to take a WAV file as the microphone (it loops) and let pages play audio at once. */
export function fakeMicrophone(wav: string): string[] {
  return [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}`,
    "--autoplay-policy=no-user-gesture-required",
  ];
}

/** One recording of a real voice from `speech-real/` as a 16 kHz mono WAV for the fake microphone, with
 * `padSeconds` of silence before and after it so that each loop of the file is an utterance of its own. */
export function speechWav(id: string, padSeconds: [number, number] = [1, 3]): string {
  const wav = join(mkdtempSync(join(tmpdir(), "earshot-speech-")), `${id}.wav`);
  const source = join(SPEECH_REAL_AUDIO, `${id}.flac`);
  execFileSync("sox", ["-R", source, "-r", "16000", "-c", "1", "-b", "16", wav, "pad", String(padSeconds[0]), String(padSeconds[1])]);
  return wav;
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  mkdirSync(RESULTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export async function loginAs(context: BrowserContext, baseUrl: string, username: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  return page;
}

export async function waitForTranscription(baseUrl: string): Promise<void> {
  // The model loads in the background after start-up; the status endpoint is for supervisors.
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "supervisor", password: "supervisor-demo-pass" }),
  });
  const { token } = await login.json();
  for (let i = 0; i < 480; i++) {
    const response = await fetch(`${baseUrl}/api/transcription/status`, { headers: { Authorization: `Bearer ${token}` } });
    if (response.ok && (await response.json()).ready === true) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("transcription did not become ready");
}

/** A server and Chromium for one test file: started before its tests, stopped after them. */
export function withEarshotAndChromium(extraEnv: Record<string, string> = {}): { earshot: RunningEarshot; browser: Browser } {
  const running = {} as { earshot: RunningEarshot; browser: Browser };
  beforeAll(async () => {
    running.earshot = await startEarshot(extraEnv);
    running.browser = await launchChromium();
  });
  afterAll(async () => {
    await running.browser?.close();
    await running.earshot?.stop();
  });
  return running;
}

/** An agent (agent1 unless told) logged in to the console and available for calls. */
export async function availableAgent(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1440, height: 900 },
  username = "agent1",
): Promise<Page> {
  const agent = await loginAs(await browser.newContext({ viewport }), baseUrl, username, `${username}-demo-pass`);
  await agent.waitForURL(`${baseUrl}/agent`);
  await agent.getByRole("status").getByText("Connected").waitFor();
  await agent.getByRole("switch", { name: "Available for calls" }).click();
  await agent.getByText("Waiting for the next call").waitFor();
  return agent;
}

/** A caller who starts a call on the customer page and whom `agent` (available, console open) answers. */
export async function answeredCall(browser: Browser, baseUrl: string, agent: Page, customerName: string, agentName = "Alex Agent"): Promise<Page> {
  const customer = await (await browser.newContext()).newPage();
  await customer.goto(`${baseUrl}/call`);
  await customer.getByLabel("Your name").fill(customerName);
  await customer.getByRole("button", { name: "Start call" }).click();
  await agent.getByRole("alertdialog").getByRole("button", { name: "Accept" }).click();
  await customer.getByRole("heading", { name: `Connected with ${agentName}` }).waitFor();
  return customer;
}

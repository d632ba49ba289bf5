// The published package works outside this workspace: `npm pack`, install the tarball into a scratch
// Vite + TypeScript project in a temporary folder, import every component and hook, type-check and build it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const packageDir = new URL("..", import.meta.url).pathname;
const root = JSON.parse(readFileSync(join(packageDir, "../../package-lock.json"), "utf8")).packages;
/** The workspace's own versions, so the scratch install comes from the npm cache. */
const version = (name) => root[`node_modules/${name}`].version;
const scratch = mkdtempSync(join(tmpdir(), "earshot-ui-pack-"));
const run = (command, args, cwd = scratch) => execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

try {
  const tarball = join(scratch, JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], packageDir))[0].filename);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "earshot-ui-scratch", private: true, type: "module" }));
  const deps = ["react", "react-dom", "vite", "@vitejs/plugin-react", "typescript", "@types/react", "@types/react-dom"].map((name) => `${name}@${version(name)}`);
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, ...deps]);
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "bundler", jsx: "react-jsx", strict: true, noEmit: true, lib: ["ES2022", "DOM"] }, include: ["main.tsx"] }),
  );
  writeFileSync(join(scratch, "index.html"), '<!doctype html><div id="root"></div><script type="module" src="/main.tsx"></script>');
  writeFileSync(
    join(scratch, "main.tsx"),
    `import { createRoot } from "react-dom/client";
import "@earshot/ui/styles.css";
import { AISuggestionPanel, AudioLevelMeter, CallControls, ChatMessage, CustomerInfoCard, MetricCard, SentimentTrend, useAudioCall, type Suggestion } from "@earshot/ui";

const suggestion: Suggestion = { suggestion_id: "1", action: "track_order", suggestion: "Track it", reasoning: "Asked", confidence: 0.9, sources: [] };

function Demo() {
  const audio = useAudioCall({ active: false, onFrame: () => {} });
  return (
    <div className="eui-theme-auto">
      <CallControls muted={audio.muted} onToggleMute={audio.toggleMute} level={audio.level} onEnd={() => {}} />
      <AudioLevelMeter level={audio.level} />
      <ol><ChatMessage speaker="customer" kind="chat" text="Hi" speakerLabel="Customer" /></ol>
      <AISuggestionPanel suggestion={suggestion} onUse={() => {}} />
      <CustomerInfoCard customer={null} loading />
      <SentimentTrend points={[]} />
      <dl><MetricCard id="aht" label="Handle time" value="4 min" /></dl>
    </div>
  );
}

createRoot(document.getElementById("root")!).render(<Demo />);
`,
  );
  run(join(scratch, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"]);
  run(join(scratch, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"]);
  console.log("@earshot/ui tarball: installed, type-checked and built in a scratch project");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

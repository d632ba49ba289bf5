import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { generateProtocol } from "../scripts/gen-protocol.mjs";

describe("protocol types", () => {
  it("are generated from the current JSON Schema (run `npm run gen:protocol`, or `make protocol` after changing protocol.py)", async () => {
    const committed = readFileSync(join(__dirname, "..", "src", "lib", "protocol.ts"), "utf8");
    expect(committed).toBe(await generateProtocol());
  });
});

// Writes Brotli (.br) and gzip (.gz) copies beside the built files, so the server sends them
// compressed without compressing on every request (src/earshot/web.py picks the copy).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const OUT = new URL("../../src/earshot/static/", import.meta.url).pathname;
const TEXT = new Set([".js", ".css", ".html", ".svg", ".json", ".txt", ".map"]);
const MIN_BYTES = 1024; // smaller files gain nothing worth a second request header

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let count = 0;
for (const path of files(OUT)) {
  if (!TEXT.has(extname(path))) continue;
  const data = readFileSync(path);
  if (data.length < MIN_BYTES) continue;
  writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  count += 1;
}
console.log(`compressed ${count} files (Brotli and gzip) in ${OUT}`);

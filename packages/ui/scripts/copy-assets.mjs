// Copies what tsc does not emit into dist/: the stylesheet and the microphone's AudioWorklet.
import { copyFileSync } from "node:fs";

for (const name of ["styles.css", "pcm-capture-worklet.js"]) {
  copyFileSync(new URL(`../src/${name}`, import.meta.url), new URL(`../dist/${name}`, import.meta.url));
}

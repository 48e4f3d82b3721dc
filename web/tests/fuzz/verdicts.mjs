// The browser's proof verifier over the saved inputs of a bundle fuzz target: prints one
// line per file, `<accept|reject> <file>`, for web/src/fuzz_verdicts.rs to compare with
// the ledger's verdicts. In `history` mode each file is a borsh history bundle for the
// golden chain's item (tests/golden/proofs.json, target `verify_bundle`); in `raffle`
// mode a raffle bundle for the golden raffle (tests/golden/raffle_proof.json, target
// `verify_raffle_bundle`).
//   node tests/fuzz/verdicts.mjs history|raffle DIR...
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { toHex } from "../../static/assets/js/borsh.js";
import { verifyHistoryBundle, verifyRaffleBundle } from "../../static/assets/js/verify.js";

const goldenFile = (name) => JSON.parse(readFileSync(new URL(`../golden/${name}`, import.meta.url), "utf8"));
const modes = {
  history: () => {
    const golden = goldenFile("proofs.json");
    return (hex) => verifyHistoryBundle(golden.genesis, golden.item, hex);
  },
  raffle: () => {
    const golden = goldenFile("raffle_proof.json");
    return (hex) => verifyRaffleBundle(golden.genesis, golden.raffle, hex);
  },
};
const [mode, ...dirs] = process.argv.slice(2);
if (!Object.hasOwn(modes, mode)) {
  process.stderr.write(`usage: node tests/fuzz/verdicts.mjs ${Object.keys(modes).join("|")} DIR...\n`);
  process.exit(2);
}
const verify = modes[mode]();
const lines = [];
for (const dir of dirs) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    let verdict;
    try {
      verify(toHex(readFileSync(path)));
      verdict = "accept";
    } catch {
      // Any refusal counts, typed or not: the comparison is of verdicts, and a
      // bundle that throws something else than a VerifyError is still not accepted.
      verdict = "reject";
    }
    lines.push(`${verdict} ${path}`);
  }
}
process.stdout.write(lines.join("\n") + "\n");

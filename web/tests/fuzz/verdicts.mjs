// The browser's proof verifier over the saved inputs of the `verify_bundle` fuzz target:
// prints one line per file, `<accept|reject> <file>`, for web/src/fuzz_verdicts.rs to
// compare with the ledger's verdicts. Each file is a borsh history bundle for the golden
// chain's item (tests/golden/proofs.json).
//   node tests/fuzz/verdicts.mjs DIR...
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { toHex } from "../../static/assets/js/borsh.js";
import { verifyHistoryBundle } from "../../static/assets/js/verify.js";

const golden = JSON.parse(readFileSync(new URL("../golden/proofs.json", import.meta.url), "utf8"));
const lines = [];
for (const dir of process.argv.slice(2)) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    let verdict;
    try {
      verifyHistoryBundle(golden.genesis, golden.item, toHex(readFileSync(path)));
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

// Parses Adaptive Cards with Microsoft's own renderer library (npm `adaptivecards`), as a
// long-running process: one JSON card per line on stdin, one JSON answer per line on stdout,
// in order: {"ok": true} or {"ok": false, "problems": ["...", ...]}.
//
// A problem is anything the library reports while parsing (unknown element or action types,
// invalid property values, ...) or validating (missing required properties, duplicate ids,
// too many actions, ...), plus a card version above what Teams renders.
"use strict";

const path = require("node:path");
const readline = require("node:readline");
const { createRequire } = require("node:module");

const NODE_PROJECT = path.resolve(__dirname, "..", "e2e");

// `require("adaptivecards")` loads lib/, ES modules with extension-less imports that Node 20
// cannot resolve; the UMD bundle in dist/ loads in plain Node (and needs no DOM to parse).
const AC = createRequire(path.join(NODE_PROJECT, "package.json"))(
  "adaptivecards/dist/adaptivecards.js",
);

// Teams renders Adaptive Cards up to 1.5 (the library itself knows 1.6).
const TEAMS_VERSION = AC.Versions.v1_5;

// The library's default host config allows 5 actions per action set; Teams allows 6 (the
// Teams host configs of Microsoft's Adaptive Cards designer set actions.maxActions to 6).
// Everything else stays at the library's defaults.
const TEAMS_HOST_CONFIG = new AC.HostConfig();
TEAMS_HOST_CONFIG.actions.maxActions = 6;

// Teams-specific content needs no filtering: the library ignores properties it does not know
// (`msteams` on the card) and parses `{{DATE(...)}}` / `{{TIME(...)}}` as ordinary text.

function describe(event) {
  const phase = AC.ValidationPhase[event.phase] || String(event.phase);
  const kind = AC.ValidationEvent[event.event] || String(event.event);
  let where = "";
  if (event.source && typeof event.source.getJsonTypeName === "function") {
    const id = event.source.id ? `#${event.source.id}` : "";
    where = ` [${event.source.getJsonTypeName()}${id}]`;
  }
  return `${phase} ${kind}: ${event.message}${where}`;
}

function problemsOf(json) {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return ["the card is not a JSON object"];
  }
  const problems = [];
  // The library gives a card without `version` its latest version and so never reports it;
  // a top-level card must say which version it is.
  if (typeof json.version !== "string") {
    problems.push('Validation PropertyCantBeNull: Property "version" must be set. [AdaptiveCard]');
  } else {
    // An invalid version string is reported by parse() below.
    const version = AC.Version.parse(json.version, new AC.SerializationContext());
    if (version && version.isValid && version.compareTo(TEAMS_VERSION) > 0) {
      problems.push(
        `Validation UnsupportedCardVersion: card version "${json.version}" is above ` +
          `${TEAMS_VERSION.toString()}, the highest Teams renders [AdaptiveCard]`,
      );
    }
  }
  const card = new AC.AdaptiveCard();
  card.hostConfig = TEAMS_HOST_CONFIG;
  const context = new AC.SerializationContext(TEAMS_VERSION);
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    problems.push(describe(context.getEventAt(i)));
  }
  for (const event of card.validateProperties().validationEvents) {
    problems.push(describe(event));
  }
  return problems;
}

function answer(line) {
  let json;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${error.message}`] };
  }
  try {
    const problems = problemsOf(json);
    return problems.length === 0 ? { ok: true } : { ok: false, problems };
  } catch (error) {
    return { ok: false, problems: [`the parser threw: ${error && error.stack ? error.stack : error}`] };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim() === "") {
    return;
  }
  process.stdout.write(`${JSON.stringify(answer(line))}\n`);
});
lines.on("close", () => process.exit(0));
